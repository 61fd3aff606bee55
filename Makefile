# nabla -- top-level Makefile. One flat file; folders are modules (DESIGN.md 1).
#
#   make            build build/nabla, build/nabla-kernel and build/libnabla.a
#   make run        install missing Debian packages, build, start the REPL
#   make test       install what the tests need, build, run every test
#   make check-asan the same tests under AddressSanitizer + UndefinedBehaviorSanitizer
#   make bench      speed figures, side by side with the anchors (never part of make test)
#   make install    binaries to $(PREFIX)/bin and the Jupyter kernelspec
#
# ---- user settings -------------------------------------------------------------------------
CC      ?= cc
OPT     ?= -O2
PREFIX  ?= /usr/local
BUILD   ?= build
SAN     ?=
# ---- no need to change below ---------------------------------------------------------------

WARN    = -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wno-unused-parameter
CFLAGS  = -std=c11 -D_GNU_SOURCE -g $(OPT) $(WARN) $(SAN) -MMD -MP -I. \
          $(shell pkg-config --cflags openblas 2>/dev/null)
LDFLAGS = $(SAN)
BLASLIB = $(shell pkg-config --libs openblas 2>/dev/null || echo -lopenblas)
LIBS_CORE   = $(BLASLIB) -lz -lpng -lm -lpthread
SDL_LIBS    = $(shell pkg-config --libs sdl2 SDL2_ttf 2>/dev/null)
SDL_CFLAGS  = $(shell pkg-config --cflags sdl2 SDL2_ttf 2>/dev/null)
LIBS_NABLA  = $(LIBS_CORE) $(SDL_LIBS) -lreadline
LIBS_KERNEL = $(LIBS_CORE) $(SDL_LIBS) -lzmq -ljansson -lcrypto

LIB_SRC    = $(wildcard engine/*.c lang/*.c viz/*.c lessons/*.c)
REPL_SRC   = $(wildcard repl/*.c)
KERNEL_SRC = $(wildcard kernel/*.c)
UNIT_SRC   = $(wildcard tests/unit/test_*.c)

LIB_OBJ    = $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
REPL_OBJ   = $(REPL_SRC:%.c=$(BUILD)/obj/%.o)
KERNEL_OBJ = $(KERNEL_SRC:%.c=$(BUILD)/obj/%.o)
UNIT_BIN   = $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)

TARGETS = $(BUILD)/libnabla.a $(BUILD)/nabla $(if $(KERNEL_SRC),$(BUILD)/nabla-kernel)

.PHONY: all run test test-unit test-lang test-repl test-kernel check-asan bench install clean \
        deps deps-test
all: $(TARGETS)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(if $(filter viz/% repl/% kernel/%,$<),$(SDL_CFLAGS)) -c $< -o $@

$(BUILD)/libnabla.a: $(LIB_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/nabla: $(REPL_OBJ) $(BUILD)/libnabla.a
	$(CC) $(LDFLAGS) -o $@ $(REPL_OBJ) $(BUILD)/libnabla.a $(LIBS_NABLA)

$(BUILD)/nabla-kernel: $(KERNEL_OBJ) $(BUILD)/libnabla.a
	$(CC) $(LDFLAGS) -o $@ $(KERNEL_OBJ) $(BUILD)/libnabla.a $(LIBS_KERNEL)

# One cmocka driver per source file; each links the whole library.
$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libnabla.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MF $@.d -o $@ $< $(BUILD)/libnabla.a -lcmocka $(LIBS_CORE) $(SDL_LIBS)

deps:
	@tools/deps.sh build
deps-test:
	@tools/deps.sh test

run: deps
	@$(MAKE) --no-print-directory all
	$(BUILD)/nabla

# Each suite runs even when an earlier one failed (-k); make still fails if any did.
TESTS = test-unit test-lang test-repl test-kernel

test: deps-test
	@$(MAKE) --no-print-directory all
	@$(MAKE) --no-print-directory -k $(TESTS)

test-unit: $(UNIT_BIN)
	@tools/run-unit.sh $(UNIT_BIN)

test-lang: $(BUILD)/nabla
	@tools/run-golden.sh $(BUILD)/nabla tests/lang

test-repl: $(BUILD)/nabla
	@tests/repl/run.sh $(BUILD)/nabla

test-kernel: $(TARGETS)
	@tools/run-kernel-tests.sh $(BUILD)

# Leaks fail the run: LeakSanitizer makes the process exit nonzero, which every runner checks.
ASAN_MAKE = $(MAKE) --no-print-directory BUILD=build/asan OPT=-O1 \
            SAN="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined"
check-asan: export ASAN_OPTIONS = detect_leaks=1:abort_on_error=0
check-asan: export UBSAN_OPTIONS = print_stacktrace=1:halt_on_error=1
check-asan: deps-test
	@$(ASAN_MAKE) all
	@$(ASAN_MAKE) -k $(TESTS)

bench:
	@tools/deps.sh bench
	@$(MAKE) --no-print-directory all
	@bench/run.sh $(BUILD)

install: all
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 755 $(BUILD)/nabla $(DESTDIR)$(PREFIX)/bin/nabla
	if [ -x $(BUILD)/nabla-kernel ]; then \
	  install -m 755 $(BUILD)/nabla-kernel $(DESTDIR)$(PREFIX)/bin/nabla-kernel && \
	  $(DESTDIR)$(PREFIX)/bin/nabla-kernel --install --prefix $(DESTDIR)$(PREFIX); fi

clean:
	rm -rf build

-include $(shell find $(BUILD)/obj $(BUILD)/tests -name '*.d' 2>/dev/null)
