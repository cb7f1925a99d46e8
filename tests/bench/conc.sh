#!/usr/bin/env bash
# conc.sh N CMD...: start N copies of CMD at once (an @ in an argument becomes the
# copy's number, for distinct container names), wait for all; fails if any failed.
n=$1; shift
pids=()
for i in $(seq "$n"); do
	"${@//@/$i}" >/dev/null 2>&1 &
	pids+=($!)
done
rc=0
for p in "${pids[@]}"; do wait "$p" || rc=1; done
exit $rc
