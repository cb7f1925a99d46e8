# diyc — a container runtime that knows the kernel it runs on.
#
#   make deps     install the Debian packages diyc needs (apt-get; idempotent)
#   make          build diyc-probe and the test helpers
#   make demo     deps + build + probe this machine
#   make check    the layering check, then every test, then again under ASan+UBSan
#   make check-layers  includes point down only, files and functions short (ci/check-layers.py)
#   make install  PREFIX=/usr/local DESTDIR=

PREFIX  ?= /usr/local
DESTDIR ?=
SBINDIR  = $(PREFIX)/sbin
BINDIR   = $(PREFIX)/bin
MANDIR   = $(PREFIX)/share/man
COMPLETIONDIR = $(PREFIX)/share/bash-completion/completions

CC      ?= cc
CFLAGS  ?= -O2 -g
SAN     ?=
# B: object directory; OUT: where binaries land (the top level for a normal build)
B       ?= build/normal
OUT     ?= .

# libkmod, libarchive, libcrypto and libcurl are opened with dlopen() on first use
# (lib/kmodapi.c, runtime/archiveapi.c, runtime/imgapi.c): only their headers are
# used at build time.
# libcap, json-c, zlib and libseccomp are linked in from their static archives (in
# the same -dev packages): each shared library costs every `diyc run` its mappings,
# relocations and symbol lookups.  `diyc` itself is a static PIE: no dynamic loader
# and no shared libc at all (docs/bench.md: -1.5 ms per run, peak RSS under 2 MB).
# A static program cannot dlopen() those four libraries safely, so the build also
# makes diyc-dynamic, the same program linked against the shared libc, and `diyc`
# re-executes a command in it where one of them is needed (lib/twin.h); diyc-oci
# and diyc-oci-dynamic likewise.  diyc-probe, which uses libkmod throughout, is
# linked dynamically.  LINK=shared links everything shared (no
# twin), as a distribution may prefer; so does a sanitizer build.
PKGS     = libcap json-c zlib libseccomp
DEPS_CFLAGS := $(shell pkg-config --cflags $(PKGS) libkmod libarchive libcurl libcrypto 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null || echo -lcap -ljson-c -lz -lseccomp)
ifeq ($(LINK),shared)
DEPS_LIBS   := $(PKG_LIBS) -ldl
else
DEPS_LIBS   := -Wl,-Bstatic $(PKG_LIBS) -Wl,-Bdynamic -ldl
endif
ifeq ($(LINK)$(SAN),)
STATIC_DIYC := $(OUT)/diyc-dynamic $(OUT)/diyc-oci-dynamic
endif

# -Wformat-truncation guesses differ with -O level; evidence strings are cut on purpose,
# and paths go through fmt(), which reports truncation as an error.
override CFLAGS += -std=gnu11 -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wno-format-nonliteral \
	-Wno-format-truncation \
	-fstack-protector-strong -D_FORTIFY_SOURCE=2 -MMD -MP -I. $(DEPS_CFLAGS) $(SAN)
override LDFLAGS += $(SAN)

LIB_SRC    := $(wildcard lib/*.c)
PROBE_SRC  := $(filter-out probe/main.c,$(wildcard probe/*.c))
RUNTIME_SRC := $(wildcard runtime/*.c) $(wildcard netsetup/*.c)
UNIT_SRC   := $(wildcard tests/unit/test_*.c)

LIB_OBJ    := $(LIB_SRC:%.c=$(B)/%.o)
PROBE_OBJ  := $(PROBE_SRC:%.c=$(B)/%.o)
RUNTIME_OBJ := $(RUNTIME_SRC:%.c=$(B)/%.o)
UNIT_BIN   := $(UNIT_SRC:tests/unit/%.c=$(B)/tests/%)
# fuzz targets (tests/fuzz): replayed over their corpus by make check, fuzzed by make fuzz
FUZZ_NAMES := $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BIN   := $(FUZZ_NAMES:%=$(B)/tests/fuzz_%)
RUNTIME_LIB_OBJ = $(filter-out $(B)/runtime/main.o $(B)/runtime/oci_main.o,$(RUNTIME_OBJ)) $(B)/runtime/init/blob.o
FUZZ_TIME  ?= 20

# Debian packages: build, test, and what later parts of diyc run (see README).
DEB_PKGS = build-essential pkg-config libcap-dev libkmod-dev libcmocka-dev libjson-c-dev \
	zlib1g-dev libarchive-dev kmod iproute2 iptables busybox-static python3 hyperfine \
	qemu-system-x86 linux-source-6.1 flex bison libelf-dev bc libssl-dev cpio runc bubblewrap crun time clang valgrind gnuplot-nox \
	libseccomp-dev podman conmon containerd containernetworking-plugins \
	libcurl4-openssl-dev skopeo umoci buildah docker-registry zstd debootstrap dnsmasq-base jq

DIYC_ROOT ?= /var/lib/diyc

KERNEL ?=

SUBNET ?=

.PHONY: check-layers fuzz setup net-clean ci-qemu image all deps demo check test unit integration asan bench install uninstall clean format

all: $(OUT)/diyc-probe $(OUT)/diyc $(STATIC_DIYC) $(OUT)/diyc-oci $(OUT)/nsexec $(OUT)/tests/tools/nons $(OUT)/tests/tools/hostile \
	$(OUT)/tests/tools/jget

$(B)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

$(B)/libdiyc.a: $(LIB_OBJ)
	$(AR) rcs $@ $^

$(B)/libprobe.a: $(PROBE_OBJ)
	$(AR) rcs $@ $^

$(OUT)/diyc-probe: $(B)/probe/main.o $(B)/libprobe.a $(B)/libdiyc.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(DEPS_LIBS)

# diyc-init (runtime/execcmd.c): freestanding, static, no sanitizer; carried inside diyc
$(B)/diyc-init: runtime/init/diyc-init.c
	@mkdir -p $(dir $@)
	$(CC) -static -nostdlib -ffreestanding -fno-pie -fno-stack-protector \
		-fno-asynchronous-unwind-tables -fcf-protection=none -O2 -Wall -Wextra -Werror \
		-Wl,--build-id=none -Wl,-z,noexecstack -s -o $@ $<

$(B)/runtime/init/blob.o: runtime/init/blob.S $(B)/diyc-init
	@mkdir -p $(dir $@)
	$(CC) -c -DDIYC_INIT='"$(B)/diyc-init"' -o $@ $<

# lib/twin.c without dlopen(), for the static programs and tests/unit/test_twin.c:
# linked before libdiyc.a, whose twin.o is then not used
$(B)/lib/twin-static.o: lib/twin.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -DDIYC_STATIC -c -o $@ $<

# diyc and diyc-oci: static PIEs beside their dynamic twins (lib/twin.h), or one
# dynamic program each (LINK=shared, sanitizers)
DIYC_OBJ = $(B)/runtime/main.o $(RUNTIME_LIB_OBJ) $(B)/libprobe.a $(B)/libdiyc.a
OCI_OBJ = $(B)/runtime/oci_main.o $(RUNTIME_LIB_OBJ) $(B)/libprobe.a $(B)/libdiyc.a
ifeq ($(STATIC_DIYC),)
$(OUT)/diyc: $(DIYC_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(DEPS_LIBS)

$(OUT)/diyc-oci: $(OCI_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(DEPS_LIBS)
else
$(OUT)/diyc: $(B)/lib/twin-static.o $(DIYC_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -static-pie -o $@ $^ $(PKG_LIBS)

$(OUT)/diyc-oci: $(B)/lib/twin-static.o $(OCI_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -static-pie -o $@ $^ $(PKG_LIBS)

$(OUT)/diyc-dynamic: $(DIYC_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(DEPS_LIBS)

$(OUT)/diyc-oci-dynamic: $(OCI_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(DEPS_LIBS)
endif

$(OUT)/nsexec: $(B)/runtime/nsexec/nsexec.o $(B)/libdiyc.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^

$(OUT)/tests/tools/nons: $(B)/tests/tools/nons.o $(B)/libdiyc.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^

# static, so that any test image can carry it (tests/integration/hostile.sh)
$(OUT)/tests/tools/hostile: tests/tools/hostile.c
	@mkdir -p $(dir $@)
	$(CC) -static -O2 -Wall -Wextra -Werror -o $@ $<

# the tests' JSON reader (tests/tools/jget.c): static, so it starts fast in a TCG guest
$(OUT)/tests/tools/jget: tests/tools/jget.c
	@mkdir -p $(dir $@)
	$(CC) -static -O2 -Wall -Wextra -Werror $(DEPS_CFLAGS) -o $@ $< -ljson-c

$(B)/tests/fuzz_%: $(B)/tests/fuzz/fuzz_%.o $(B)/tests/fuzz/replay.o $(RUNTIME_LIB_OBJ) $(B)/libprobe.a $(B)/libdiyc.a
	$(CC) $(LDFLAGS) -o $@ $^ $(DEPS_LIBS)

$(B)/fuzz/fuzz_%: $(B)/tests/fuzz/fuzz_%.o $(RUNTIME_LIB_OBJ) $(B)/libprobe.a $(B)/libdiyc.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -fsanitize=fuzzer -o $@ $^ $(DEPS_LIBS)

$(B)/tests/test_twin: $(B)/tests/unit/test_twin.o $(B)/lib/twin-static.o $(B)/libdiyc.a
	$(CC) $(LDFLAGS) -o $@ $^ $(DEPS_LIBS) -lcmocka

# unit tests link lib/ and netsetup/ (which needs nothing else)
$(B)/tests/%: $(B)/tests/unit/%.o $(filter $(B)/netsetup/%,$(RUNTIME_OBJ)) $(B)/libprobe.a $(B)/libdiyc.a
	$(CC) $(LDFLAGS) -o $@ $^ $(DEPS_LIBS) -lcmocka

# Packages only: a policy-rc.d (exit 101) keeps their services (containerd,
# docker-registry) from being started by the install; the tests start their own.
deps:
	@missing=""; for p in $(DEB_PKGS); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -z "$$missing" ]; then echo "deps: all packages present"; \
	else echo "deps: installing$$missing"; \
		if [ "$$(id -u)" != 0 ]; then echo "deps: run as root (apt-get)" >&2; exit 1; fi; \
		pol=/usr/sbin/policy-rc.d; made=; \
		if [ ! -e $$pol ]; then printf '#!/bin/sh\nexit 101\n' >$$pol && chmod 755 $$pol && made=1; fi; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
		rc=$$?; [ -z "$$made" ] || rm -f $$pol; exit $$rc; \
	fi

# The host network for bridged containers (bridge diyc0, NAT): see docs/network.md.
setup: all
	./diyc net setup $(if $(SUBNET),--subnet $(SUBNET))

net-clean: all
	./diyc net clean

# The default image, from Debian's busybox-static (no network needed).
image:
	runtime/mkimage-busybox.sh $(DIYC_ROOT)

demo: deps all image
	./diyc-probe
	./diyc run --rm demo busybox /bin/sh -c 'echo "hello from $$(hostname): pid $$$$, $$(ls /proc | grep -c "^[0-9]") processes visible"; grep -E "^(CapEff|NoNewPrivs)" /proc/self/status'

unit: $(UNIT_BIN)
integration: all

# lib <- probe, netsetup <- runtime; no file over 500 lines, no function over 80
check-layers:
	@ci/check-layers.py

# The whole suite: unit tests and integration tests, normal build then ASan+UBSan.
check: check-layers all $(UNIT_BIN) $(FUZZ_BIN)
	@$(MAKE) --no-print-directory asan
	@tests/run.sh --build $(B) --asan build/asan

asan:
	@$(MAKE) --no-print-directory B=build/asan OUT=build/asan \
		SAN="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" \
		CFLAGS="-O1 -g" all $(UNIT_SRC:tests/unit/%.c=build/asan/tests/%) \
		$(FUZZ_NAMES:%=build/asan/tests/fuzz_%)

# libFuzzer (clang) on every target for FUZZ_TIME seconds each, from the corpus in
# tests/fuzz/corpus/NAME; a crash leaves build/fuzz/crash-NAME-* and fails.  Copy
# such an input into the corpus directory after the fix: make check replays it.
fuzz:
	@$(MAKE) --no-print-directory B=build/fuzz OUT=build/fuzz CC=clang \
		SAN="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all" \
		CFLAGS="-O1 -g -Wno-unknown-warning-option" $(FUZZ_NAMES:%=build/fuzz/fuzz/fuzz_%)
	@tests/fuzz/run.sh $(FUZZ_TIME) $(FUZZ_NAMES)

# Boot the kernel profiles of qemu/ under QEMU and run the suites inside
# (make ci-qemu KERNEL=legacy-4.4.74 for one).  Kernels are cached in
# $${DIYC_CI_CACHE:-/var/cache/diyc-ci}; see docs/qemu.md.
ci-qemu: all
	@ci/qemu-matrix.sh $(KERNEL)

# Benchmarks (never timed tests): medians and ratios from hyperfine.
bench: all
	@tests/bench/probe.sh
	@tests/bench/run.sh
	@tests/bench/net.sh
	@tests/bench/oci.sh
	@tests/bench/images.sh
	@tests/bench/report.py

install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man8
	install -m 0755 diyc-probe $(DESTDIR)$(SBINDIR)/diyc-probe
	install -m 0755 diyc $(filter %/diyc-dynamic,$(STATIC_DIYC)) nsexec $(DESTDIR)$(BINDIR)/
	install -m 0755 diyc-oci $(filter %/diyc-oci-dynamic,$(STATIC_DIYC)) $(DESTDIR)$(SBINDIR)/
	install -m 0644 docs/man/diyc-oci.8 $(DESTDIR)$(MANDIR)/man8/diyc-oci.8
	install -m 0644 docs/man/diyc-probe.8 $(DESTDIR)$(MANDIR)/man8/diyc-probe.8
	install -m 0644 docs/man/diyc.1 docs/man/nsexec.1 $(DESTDIR)$(MANDIR)/man1/
	install -d $(DESTDIR)$(COMPLETIONDIR)
	install -m 0644 runtime/completion/diyc.bash $(DESTDIR)$(COMPLETIONDIR)/diyc

uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/diyc-probe $(DESTDIR)$(MANDIR)/man8/diyc-probe.8 \
		$(DESTDIR)$(SBINDIR)/diyc-oci $(DESTDIR)$(SBINDIR)/diyc-oci-dynamic $(DESTDIR)$(MANDIR)/man8/diyc-oci.8 \
		$(DESTDIR)$(BINDIR)/diyc $(DESTDIR)$(BINDIR)/diyc-dynamic $(DESTDIR)$(BINDIR)/nsexec \
		$(DESTDIR)$(MANDIR)/man1/diyc.1 $(DESTDIR)$(MANDIR)/man1/nsexec.1 \
		$(DESTDIR)$(COMPLETIONDIR)/diyc

format:
	clang-format -i lib/*.[ch] probe/*.[ch] runtime/*.[ch] runtime/nsexec/*.c netsetup/*.[ch] tests/unit/*.c tests/tools/*.c

clean:
	rm -rf build diyc-probe diyc diyc-dynamic diyc-oci diyc-oci-dynamic nsexec tests/tools/nons tests/tools/hostile tests/tools/jget

-include $(shell find build -name '*.d' 2>/dev/null)
