# sluice: see README.md. `make`, `make check`, `make asan`, `make lint`,
# `make bench`, `make fuzz FUZZ_TIME=60`,
# `make install PREFIX=/usr/local DESTDIR=`.
O       ?= build
WERROR  ?= -Werror
CFLAGS  ?= -O2 -g
PREFIX  ?= /usr/local
LIBEXEC ?= $(PREFIX)/libexec/sluice
BINDIR  ?= $(PREFIX)/bin
# systemd looks in /usr/local/lib/systemd/system and sysusers.d too
SYSTEMD_UNIT_DIR ?= $(PREFIX)/lib/systemd/system
SYSUSERS_DIR ?= $(PREFIX)/lib/sysusers.d
# polkit reads only /etc and /usr/share (see deploy/systemd/sluice-hook.rules)
POLKIT_RULES_DIR ?= $(PREFIX)/share/polkit-1/rules.d
DOCDIR  ?= $(PREFIX)/share/doc/sluice
UNIT_FILES = $(wildcard deploy/systemd/*.service deploy/systemd/*.socket \
           deploy/systemd/*.timer)
PKGS     = libgit2 yaml-0.1 libcurl jansson gpgme libpcre2-8
WARN     = -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes \
           -Wmissing-prototypes -Wformat=2 -Wvla -Wwrite-strings $(WERROR)
ALL_CFLAGS = -std=c11 -D_POSIX_C_SOURCE=200809L -pthread -I. $(WARN) $(CFLAGS) \
           $(shell pkg-config --cflags $(PKGS))
# --as-needed: a tool links only the libraries it calls, so manifest-gen
# does not pay libcurl's start-up cost (DESIGN.md, cost discipline)
ALL_LDFLAGS = -Wl,--as-needed $(LDFLAGS)
LDLIBS   = $(shell pkg-config --libs $(PKGS)) -lm -pthread
TOOLS    = $(patsubst tools/%.c,$(O)/bin/%,$(wildcard tools/*.c))
UNITS    = $(patsubst %.c,$(O)/%.t,$(wildcard tests/unit/*_test.c))
BENCH    = $(patsubst %.c,$(O)/%,$(wildcard tests/bench/*.c))
# tests/fuzz/NAME_fuzz.c: a libFuzzer target, run by `make fuzz` over
# tests/fuzz/corpus/NAME/; NAME-replay runs it over that corpus in check
FUZZ     = $(patsubst tests/fuzz/%_fuzz.c,%,$(wildcard tests/fuzz/*_fuzz.c))
REPLAY   = $(patsubst %,$(O)/tests/fuzz/%-replay,$(FUZZ))
LIBOBJ   = $(patsubst %.c,$(O)/%.o,$(wildcard lib/*.c))
OBJ      = $(patsubst %.c,$(O)/%.o,$(wildcard lib/*.c tools/*.c \
           tests/unit/*.c tests/bench/*.c tests/fuzz/*.c))
SHELL_FILES = pipelines/sluice $(wildcard pipelines/*.sh) \
           $(wildcard tests/*.sh tests/bench/*.sh tests/servers/*.sh \
           tests/fixtures/stages/*.sh examples/*.sh) .ci/run
TESTS    = $(UNITS) $(wildcard tests/*.bats tests/pipelines/*.bats)

all: $(TOOLS) $(O)/bin/sluice $(O)/bin/pass.sh $(O)/bin/pass-summary.jq

$(O)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(O)/libshared.a: $(LIBOBJ)
	$(AR) rcs $@ $^

$(O)/bin/%: $(O)/tools/%.o $(O)/libshared.a
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LDLIBS)

$(O)/tests/unit/%.t: $(O)/tests/unit/%.o $(O)/libshared.a
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LDLIBS)

$(O)/tests/bench/%: $(O)/tests/bench/%.o $(O)/libshared.a
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LDLIBS)

$(O)/tests/fuzz/%-replay: $(O)/tests/fuzz/%_fuzz.o $(O)/tests/fuzz/replay.o \
    $(O)/libshared.a
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LDLIBS)

# libFuzzer's own main(), from LDFLAGS=-fsanitize=fuzzer (make fuzz)
$(O)/tests/fuzz/%_fuzz: $(O)/tests/fuzz/%_fuzz.o $(O)/libshared.a
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LDLIBS)

# the front command, pointed at the build tree's tools
$(O)/bin/sluice: pipelines/sluice
	@mkdir -p $(@D)
	sed 's|@LIBEXEC@|$(CURDIR)/$(O)/bin|; s|@VERSION@|$(VERSION)|' \
	    pipelines/sluice >$@
	chmod +x $@

# the supervisor, beside the tools (not executable: not a tool)
$(O)/bin/pass.sh $(O)/bin/pass-summary.jq: $(O)/bin/%: pipelines/%
	@mkdir -p $(@D)
	cp $< $@
	chmod 644 $@

VERSION = $(shell sed -n 's/^#define SLUICE_VERSION "\(.*\)"/\1/p' lib/tool.h)

check: all $(UNITS) $(BENCH) $(REPLAY)
	SLUICE_BUILD="$(CURDIR)/$(O)" PATH="$(CURDIR)/$(O)/bin:$$PATH" \
	    sh tests/run.sh $(TESTS)

# tests/lsan.supp: leaks inside the libraries we link, not ours
asan:
	LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp:print_suppressions=0 \
	ASAN_OPTIONS=fast_unwind_on_malloc=0 \
	$(MAKE) --no-print-directory O=build-asan \
	    LDFLAGS='-fsanitize=address,undefined' \
	    CFLAGS='-O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all' \
	    check

# Each target for FUZZ_TIME seconds, with clang's libFuzzer, ASan and UBSan,
# in build-fuzz/. New inputs go to a scratch corpus there that starts from
# the checked-in seeds, with tests/fuzz/NAME.dict if there is one; crashes
# are written to build-fuzz/crash-*. Add one worth keeping to
# tests/fuzz/corpus/NAME/ by hand.
FUZZ_TIME ?= 60
FUZZ_CC   ?= clang
fuzz:
	$(MAKE) --no-print-directory O=build-fuzz CC='$(FUZZ_CC)' \
	    LDFLAGS='-fsanitize=fuzzer,address,undefined' \
	    CFLAGS='-O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all' \
	    $(patsubst %,build-fuzz/tests/fuzz/%_fuzz,$(FUZZ))
	for t in $(FUZZ); do \
	    mkdir -p build-fuzz/corpus/$$t && \
	    cp tests/fuzz/corpus/$$t/* build-fuzz/corpus/$$t/ && \
	    LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp:print_suppressions=0 \
	    build-fuzz/tests/fuzz/$${t}_fuzz -max_total_time=$(FUZZ_TIME) \
	        -artifact_prefix=build-fuzz/ \
	        $$(test -f tests/fuzz/$$t.dict && echo -dict=tests/fuzz/$$t.dict) \
	        build-fuzz/corpus/$$t || exit 1; \
	done

lint:
	shellcheck -x -s sh $(SHELL_FILES)
	shellcheck -x -s bash tests/helpers.bash $(wildcard tests/servers/*.bash \
	    tests/bench/*.bash)

bench: all $(BENCH)
	SLUICE_BUILD="$(CURDIR)/$(O)" sh tests/bench/run.sh && \
	    SLUICE_BUILD="$(CURDIR)/$(O)" sh tests/bench/git-fetch.sh && \
	    SLUICE_BUILD="$(CURDIR)/$(O)" sh tests/bench/kube-apply.sh && \
	    SLUICE_BUILD="$(CURDIR)/$(O)" bash tests/bench/img-scan.bash && \
	    SLUICE_BUILD="$(CURDIR)/$(O)" bash tests/bench/img-update.bash && \
	    SLUICE_BUILD="$(CURDIR)/$(O)" bash tests/bench/sync-pass.bash

install: all
	install -d $(DESTDIR)$(LIBEXEC) $(DESTDIR)$(BINDIR) \
	    $(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(SYSTEMD_UNIT_DIR) \
	    $(DESTDIR)$(SYSUSERS_DIR) $(DESTDIR)$(POLKIT_RULES_DIR) \
	    $(DESTDIR)$(DOCDIR)/kubernetes
	install -m 755 $(TOOLS) $(DESTDIR)$(LIBEXEC)/
	install -m 644 pipelines/pass.sh pipelines/pass-summary.jq \
	    $(DESTDIR)$(LIBEXEC)/
	sed 's|@LIBEXEC@|$(LIBEXEC)|; s|@VERSION@|$(VERSION)|' pipelines/sluice \
	    >$(DESTDIR)$(BINDIR)/sluice
	chmod 755 $(DESTDIR)$(BINDIR)/sluice
	install -m 644 docs/*.1 $(DESTDIR)$(PREFIX)/share/man/man1/
	# the units run the installed front command
	for u in $(UNIT_FILES); do \
	    sed 's|@BINDIR@|$(BINDIR)|g' $$u \
	        >$(DESTDIR)$(SYSTEMD_UNIT_DIR)/$${u##*/} && \
	    chmod 644 $(DESTDIR)$(SYSTEMD_UNIT_DIR)/$${u##*/} || exit 1; \
	done
	install -m 644 deploy/systemd/sluice.sysusers \
	    $(DESTDIR)$(SYSUSERS_DIR)/sluice.conf
	install -m 644 deploy/systemd/sluice-hook.rules \
	    $(DESTDIR)$(POLKIT_RULES_DIR)/50-sluice-hook.rules
	install -m 644 README.md $(DESTDIR)$(DOCDIR)/
	install -m 644 deploy/kubernetes/*.yaml $(DESTDIR)$(DOCDIR)/kubernetes/
	install -d $(DESTDIR)$(PREFIX)/share/man/man5
	install -m 644 docs/*.5 $(DESTDIR)$(PREFIX)/share/man/man5/

clean:
	rm -rf build build-asan build-fuzz

.PHONY: all check asan fuzz lint bench install clean
.SECONDARY: $(OBJ)
.DELETE_ON_ERROR:
-include $(OBJ:.o=.d)
