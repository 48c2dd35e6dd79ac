# mathmine build. `make` builds build/libmathmine.a, build/libmathmine.so and build/mathmine.
# Every build target depends on `deps`, which installs missing Debian packages (we are root).
# Each module folder has a module.mk that appends to PKGS (Debian packages), PC (pkg-config
# names), PC_HEADERS (pkg-config names whose headers only are used: the library is dlopen'ed)
# and LDLIBS_EXTRA (libraries without a .pc file).  Sources are globbed per module.

BUILD    ?= build
PREFIX   ?= /usr/local
CC       := gcc
CXX      := g++
CLANG    := clang
MODULES  := common corpus classifier dedup rl

PKGS          := build-essential pkg-config clang libclang-rt-14-dev libomp-14-dev python3 wget zstd bzip2 xz-utils lz4
PC            :=
PC_HEADERS    :=
LDLIBS_EXTRA  :=
include $(wildcard $(addsuffix /module.mk,$(MODULES)) tools/module.mk)

LIB_C    := $(sort $(wildcard $(addsuffix /*.c,$(MODULES))))
LIB_CXX  := $(sort $(wildcard $(addsuffix /*.cc,$(MODULES))))
TOOL_C   := $(sort $(wildcard tools/*.c))
UNIT_C   := $(sort $(wildcard tests/unit/test_*.c))
FUZZ_C   := $(sort $(wildcard tests/fuzz/fuzz_*.c))
HEADERS  := $(sort $(wildcard $(addsuffix /*.h,$(MODULES))))

PC_CFLAGS = $(shell pkg-config --cflags $(PC) $(PC_HEADERS) 2>/dev/null)
PC_LIBS   = $(shell pkg-config --libs $(PC) 2>/dev/null)
WARN     := -Wall -Wextra -Werror -Wno-unused-parameter -Wno-format-truncation
COMMON   := -I. -D_GNU_SOURCE -pthread -fopenmp -fPIC -fvisibility=hidden -DMM_BUILDING
CFLAGS   ?= -O2 -g
CFLAGS_ALL   = -std=c11 $(WARN) $(COMMON) $(CFLAGS) $(PC_CFLAGS)
CXXFLAGS_ALL = -std=c++17 $(WARN) $(COMMON) $(CFLAGS) $(PC_CFLAGS)
LDLIBS_ALL   = $(PC_LIBS) $(LDLIBS_EXTRA) -lstdc++ -lm -lpthread -fopenmp
SAN      := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
ASAN_FLAGS := $(SAN) -O1 -DMM_DEBUG
FUZZ_FLAGS := -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer -O1 -DMM_DEBUG -Wno-unknown-warning-option

DEPS_STAMP := $(BUILD)/.deps-$(shell echo $(PKGS) | cksum | cut -d' ' -f1)

.PHONY: all deps lib test test-unit test-asan test-long bench fuzz demo install clean format
all: $(BUILD)/mathmine $(BUILD)/libmathmine.so $(BUILD)/libmathmine.a

# ---- dependencies ---------------------------------------------------------------------
deps: $(DEPS_STAMP)
$(DEPS_STAMP):
	@mkdir -p $(BUILD)
	@missing=$$(for p in $(PKGS); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "make deps: installing missing Debian packages:" $$missing; \
	  if [ "$$(id -u)" != 0 ]; then echo "make deps: run as root (or install: apt-get install $$missing)"; exit 1; fi; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends $$missing >$(BUILD)/apt.log 2>&1 \
	    || { echo "make deps: apt-get failed, see $(BUILD)/apt.log"; tail -20 $(BUILD)/apt.log; exit 1; }; \
	fi
	@touch $@

# ---- objects (flags recorded so a flag change rebuilds) ------------------------------
define flavour # $(1)=dir $(2)=cc $(3)=cxx $(4)=extra flags
$(BUILD)/$(1)/flags: FORCE | $(DEPS_STAMP)
	@mkdir -p $$(@D); echo '$(2) $(4) $$(CFLAGS_ALL)' | cmp -s - $$@ || echo '$(2) $(4) $$(CFLAGS_ALL)' > $$@
$(BUILD)/$(1)/%.o: %.c $(BUILD)/$(1)/flags
	@mkdir -p $$(@D)
	$(2) $$(CFLAGS_ALL) $(4) -MMD -MP -c $$< -o $$@
$(BUILD)/$(1)/%.o: %.cc $(BUILD)/$(1)/flags
	@mkdir -p $$(@D)
	$(3) $$(CXXFLAGS_ALL) $(4) -MMD -MP -c $$< -o $$@
$(BUILD)/$(1)/libmathmine.a: $$(patsubst %.c,$(BUILD)/$(1)/%.o,$$(LIB_C)) $$(patsubst %.cc,$(BUILD)/$(1)/%.o,$$(LIB_CXX))
	@rm -f $$@; ar rcs $$@ $$^
endef
FORCE:
$(eval $(call flavour,rel,$(CC),$(CXX),))
$(eval $(call flavour,asan,$(CC),$(CXX),$$(ASAN_FLAGS)))
$(eval $(call flavour,fuzz,$(CLANG),clang++,$$(FUZZ_FLAGS)))
-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)

$(BUILD)/libmathmine.a: $(BUILD)/rel/libmathmine.a
	cp $< $@
$(BUILD)/libmathmine.so: $(patsubst %.c,$(BUILD)/rel/%.o,$(LIB_C)) $(patsubst %.cc,$(BUILD)/rel/%.o,$(LIB_CXX))
	$(CXX) -shared -o $@ $^ $(LDLIBS_ALL)
$(BUILD)/mathmine: $(patsubst %.c,$(BUILD)/rel/%.o,$(TOOL_C)) $(BUILD)/rel/libmathmine.a
	$(CXX) -o $@ $^ $(LDLIBS_ALL)
# the command-line program under ASan+UBSan, for the bad-input matrix (tests/integration/bad_inputs.sh)
$(BUILD)/mathmine-asan: $(patsubst %.c,$(BUILD)/asan/%.o,$(TOOL_C)) $(BUILD)/asan/libmathmine.a
	$(CXX) $(SAN) -o $@ $^ $(LDLIBS_ALL)
lib: $(BUILD)/libmathmine.a $(BUILD)/libmathmine.so

# ---- tests ----------------------------------------------------------------------------
UNIT_REL  := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_C))
UNIT_ASAN := $(patsubst tests/unit/%.c,$(BUILD)/tests-asan/%,$(UNIT_C))
$(BUILD)/tests/%: tests/unit/%.c tests/unit/test.h $(BUILD)/rel/libmathmine.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) -o $@ $< $(BUILD)/rel/libmathmine.a $(LDLIBS_ALL)
$(BUILD)/tests-asan/%: tests/unit/%.c tests/unit/test.h $(BUILD)/asan/libmathmine.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) $(SAN) -O1 -o $@ $< $(BUILD)/asan/libmathmine.a $(LDLIBS_ALL)

FUZZ_BIN := $(patsubst tests/fuzz/%.c,$(BUILD)/fuzzers/%,$(FUZZ_C))
$(BUILD)/fuzzers/%: tests/fuzz/%.c $(BUILD)/fuzz/libmathmine.a
	@mkdir -p $(@D)
	$(CLANG) $(CFLAGS_ALL) -Wno-unknown-warning-option -fsanitize=fuzzer,address,undefined -O1 -o $@ $< $(BUILD)/fuzz/libmathmine.a $(LDLIBS_ALL)

test: $(BUILD)/mathmine $(BUILD)/mathmine-asan $(UNIT_REL) $(UNIT_ASAN) $(FUZZ_BIN)
	@MM_BUILD=$(BUILD) bash tests/run.sh
test-long: $(BUILD)/mathmine $(UNIT_REL)
	@MM_BUILD=$(BUILD) MM_LONG=1 bash tests/run.sh
fuzz: $(FUZZ_BIN)
	@for f in $(FUZZ_BIN); do n=$$(basename $$f); mkdir -p $(BUILD)/fuzz-corpus/$$n; \
	  echo "== $$n (30 s)"; $$f -max_total_time=$${FUZZ_SECONDS:-30} -max_len=65536 $(BUILD)/fuzz-corpus/$$n tests/fuzz/corpus/$$n 2>&1 | tail -3 || exit 1; done
bench: $(BUILD)/mathmine
	@MM_BUILD=$(BUILD) bash tools/bench/run.sh
demo: $(BUILD)/mathmine
	@MM_BUILD=$(BUILD) bash tools/demo/run.sh

# ---- install --------------------------------------------------------------------------
install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/include/mathmine
	install -m 755 $(BUILD)/mathmine $(DESTDIR)$(PREFIX)/bin/
	install -m 644 $(BUILD)/libmathmine.a $(BUILD)/libmathmine.so $(DESTDIR)$(PREFIX)/lib/
	for h in $(HEADERS); do install -D -m 644 $$h $(DESTDIR)$(PREFIX)/include/mathmine/$$h; done
	bash tools/gen_docs.sh $(BUILD)/mathmine $(BUILD)/share >/dev/null
	install -D -m 644 $(BUILD)/share/bash-completion/mathmine $(DESTDIR)$(PREFIX)/share/bash-completion/completions/mathmine
	install -d $(DESTDIR)$(PREFIX)/share/man/man1 && install -m 644 $(BUILD)/share/man1/*.1 $(DESTDIR)$(PREFIX)/share/man/man1/
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@PC@|$(PC)|' -e 's|@LIBS@|$(LDLIBS_EXTRA) -lstdc++ -lm -fopenmp|' tools/mathmine.pc.in > $(DESTDIR)$(PREFIX)/lib/pkgconfig/mathmine.pc

format:
	clang-format -i $$(git ls-files '*.c' '*.h' '*.cc')
clean:
	rm -rf $(BUILD)
