# bash completion for diyc (installed by `make install` into
# /usr/share/bash-completion/completions/diyc). Commands and options are read from
# diyc's own --help, so they never drift from the binary; container, image, volume
# and network names from `diyc ps -aq`, `diyc images`, `diyc volume ls -q` and
# `diyc network ls`. Nothing here runs with more than the user's rights.

_diyc_words() { # _diyc_words ARGS...: first column of a diyc listing, header skipped
	"${_diyc_bin:-diyc}" "$@" 2>/dev/null | awk 'NR > 1 {print $1}'
}

_diyc() {
	local cur prev cmd i _diyc_bin=${COMP_WORDS[0]}
	COMPREPLY=()
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD - 1]}
	for ((i = 1; i < COMP_CWORD; i++)); do
		case ${COMP_WORDS[i]} in
		--root) ((i++)) ;;
		-*) ;;
		*) cmd=${COMP_WORDS[i]} && break ;;
		esac
	done
	if [ -z "$cmd" ]; then
		local cmds
		cmds=$("$_diyc_bin" --help 2>/dev/null | awk '/^Commands:/ {on = 1; next} /^$/ {on = 0} on {print $1}')
		COMPREPLY=($(compgen -W "$cmds --root --verbose --help --version" -- "$cur"))
		return
	fi
	case $prev in
	-v | --volume | --mount) # a named volume or a host path
		COMPREPLY=($(compgen -W "$("$_diyc_bin" volume ls -q 2>/dev/null)" -- "$cur") $(compgen -f -- "$cur"))
		return ;;
	--net | --network)
		COMPREPLY=($(compgen -W "bridge none host $(_diyc_words network ls)" -- "$cur"))
		return ;;
	--env-file | --profile | --tmpfs | -w | --workdir)
		COMPREPLY=($(compgen -f -- "$cur"))
		return ;;
	--restart)
		COMPREPLY=($(compgen -W "no on-failure always unless-stopped" -- "$cur"))
		return ;;
	--cap-add | --cap-drop)
		COMPREPLY=($(compgen -W "ALL CHOWN DAC_OVERRIDE FOWNER FSETID KILL NET_ADMIN NET_BIND_SERVICE NET_RAW SETGID SETUID SYS_ADMIN SYS_PTRACE SYS_TIME" -- "$cur"))
		return ;;
	esac
	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$("$_diyc_bin" "$cmd" --help 2>/dev/null | grep -oE -- '(^|[ ,])--?[a-zA-Z][a-zA-Z-]*' | tr -d ' ,' | sort -u)" -- "$cur"))
		return
	fi
	case $cmd in
	run) COMPREPLY=($(compgen -W "$(_diyc_words images)" -- "$cur")) ;;
	stop | kill | exec | logs | top | stats | wait | port | inspect) COMPREPLY=($(compgen -W "$("$_diyc_bin" ps -q 2>/dev/null)" -- "$cur")) ;;
	rm | rename) COMPREPLY=($(compgen -W "$("$_diyc_bin" ps -aq 2>/dev/null)" -- "$cur")) ;;
	cp) COMPREPLY=($(compgen -W "$("$_diyc_bin" ps -q 2>/dev/null | sed 's/$/:/')" -- "$cur") $(compgen -f -- "$cur")); compopt -o nospace 2>/dev/null ;;
	volume)
		if [ "$prev" = volume ]; then
			COMPREPLY=($(compgen -W "create ls inspect rm prune" -- "$cur"))
		else
			COMPREPLY=($(compgen -W "$("$_diyc_bin" volume ls -q 2>/dev/null)" -- "$cur"))
		fi ;;
	network)
		if [ "$prev" = network ]; then
			COMPREPLY=($(compgen -W "create ls inspect rm" -- "$cur"))
		else
			COMPREPLY=($(compgen -W "$(_diyc_words network ls)" -- "$cur"))
		fi ;;
	image)
		if [ "$prev" = image ]; then
			COMPREPLY=($(compgen -W "import pull save rm ls inspect" -- "$cur"))
		else
			COMPREPLY=($(compgen -W "$(_diyc_words images)" -- "$cur") $(compgen -f -- "$cur"))
		fi ;;
	net) COMPREPLY=($(compgen -W "setup clean status" -- "$cur")) ;;
	esac
}
complete -F _diyc diyc
