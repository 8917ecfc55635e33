# isotest: a plain Makefile.
#
#   make            build build/isotest and libisotest (static and shared)
#   make test       install what is missing, build, run every test
#   make demo       install what is missing, build, run examples/shop
#   make bench      benchmarks (figures and ratios; no pass/fail on time)
#   make install PREFIX=/usr/local [DESTDIR=...]
#   make SANITIZE=address,undefined test   or   make SANITIZE=thread test
#   make valgrind   unit tests under valgrind (leaks are errors)
#   make format     clang-format every source file (check-format: only check)
#
# Layout: include/isotest.h is libisotest's one public header; isolation/
# and common/ are its code; runner/ (the isotest command) and reporters/
# use the library through that header only (make check-layers says so).

CC ?= cc
PG_CONFIG ?= pg_config
VERSION := 0.2.0
SOVERSION := 0
PREFIX ?= /usr/local
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
BINDIR ?= $(PREFIX)/bin

PQ_INC := $(shell $(PG_CONFIG) --includedir 2>/dev/null || echo /usr/include/postgresql)
XML_CFLAGS := $(shell pkg-config --cflags libxml-2.0 2>/dev/null || echo -I/usr/include/libxml2)
XML_LIBS := $(shell pkg-config --libs libxml-2.0 2>/dev/null || echo -lxml2)

WARN := -Wall -Wextra -Werror -Wstrict-prototypes -Wmissing-prototypes \
	-Wvla -Wformat-security
CFLAGS ?= -O2 -g
# Every object is position-independent (it may go into the shared
# library) and hides its symbols unless the public header marks them.
ALL_CFLAGS := -std=c11 -D_POSIX_C_SOURCE=200809L -pthread $(WARN) $(CFLAGS) \
	-fPIC -fvisibility=hidden -Iinclude -I. -I$(PQ_INC) $(XML_CFLAGS) \
	-DISOTEST_VERSION='"$(VERSION)"'
LIB_LIBS := -lpq -lcrypto -lm -pthread
LDLIBS := $(LIB_LIBS) $(XML_LIBS)

# Sanitizer builds live in their own folder so objects never mix.
comma := ,
ifdef SANITIZE
BUILD := build/san-$(subst $(comma),-,$(SANITIZE))
ALL_CFLAGS += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -O1
LDFLAGS += -fsanitize=$(SANITIZE)
else
BUILD := build
endif

COM_SRC := $(wildcard common/*.c)
ISO_SRC := $(wildcard isolation/*.c)
REP_SRC := $(wildcard reporters/*.c)
RUN_SRC := $(filter-out runner/main.c,$(wildcard runner/*.c)) \
	$(wildcard production/*.c)
UNIT_SRC := $(filter-out tests/test_integration%.c,$(wildcard tests/test_*.c)) \
	tests/unit_tmp.c
INTEG_SRC := $(wildcard tests/test_integration*.c)
ITEST_SRC := $(filter-out tests/bench.c,$(wildcard tests/itest_*.c tests/helpers*.c))

LIB_OBJ := $(COM_SRC:%.c=$(BUILD)/obj/%.o) $(ISO_SRC:%.c=$(BUILD)/obj/%.o)
REP_OBJ := $(REP_SRC:%.c=$(BUILD)/obj/%.o)
RUN_OBJ := $(RUN_SRC:%.c=$(BUILD)/obj/%.o)

# The library's code, every symbol visible: for isotest itself, the unit
# tests and the bench tools.
LIBINT := $(BUILD)/libisotest-internal.a
# What a user links: only isotest_* names are global in either.
LIBA := $(BUILD)/libisotest.a
LIBSO_REAL := $(BUILD)/libisotest.so.$(VERSION)
LIBREP := $(BUILD)/libreporters.a
LIBRUN := $(BUILD)/librunner.a

.PHONY: all lib test unit integration demo bench deps valgrind format \
	check-format check-layers install uninstall clean
all: $(BUILD)/isotest lib
lib: $(LIBA) $(LIBSO_REAL) $(BUILD)/isotest.pc

deps:
	@sh ci/install-deps.sh

# V=1 shows the whole command lines.
ifeq ($(V),1)
Q :=
else
Q := @
endif

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

$(LIBINT): $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^
# One relocatable object with the hidden symbols made local, so that a
# static link sees only isotest_* (strbuf_add and friends cannot clash
# with a program's own).
$(LIBA): $(LIB_OBJ)
	@rm -f $@
	ld -r -o $(BUILD)/libisotest.o $^
	objcopy --localize-hidden $(BUILD)/libisotest.o
	ar rcs $@ $(BUILD)/libisotest.o
$(LIBSO_REAL): $(LIB_OBJ)
	$(CC) $(LDFLAGS) -shared -Wl,-soname,libisotest.so.$(SOVERSION) \
		-Wl,--no-undefined -o $@ $^ $(LIB_LIBS)
	ln -sf libisotest.so.$(VERSION) $(BUILD)/libisotest.so.$(SOVERSION)
	ln -sf libisotest.so.$(SOVERSION) $(BUILD)/libisotest.so
$(BUILD)/isotest.pc: ci/isotest.pc.in Makefile
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' \
		-e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' -e 's|@VERSION@|$(VERSION)|' \
		$< > $@
$(LIBREP): $(REP_OBJ)
	@rm -f $@
	ar rcs $@ $^
$(LIBRUN): $(RUN_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/isotest: $(BUILD)/obj/runner/main.o $(LIBRUN) $(LIBREP) $(LIBINT)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)
ifdef SANITIZE
	@mkdir -p build && ln -sf $(notdir $(BUILD))/isotest build/isotest-san
endif

$(BUILD)/tests/unit: $(UNIT_SRC:%.c=$(BUILD)/obj/%.o) $(LIBRUN) $(LIBREP) $(LIBINT)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ -lcriterion $(LDLIBS)

$(BUILD)/tests/integration: $(INTEG_SRC:%.c=$(BUILD)/obj/%.o) $(ITEST_SRC:%.c=$(BUILD)/obj/%.o) $(LIBRUN) $(LIBREP) $(LIBINT)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ -lcriterion $(LDLIBS)

# Leaks inside Criterion itself are not ours (tests/lsan.supp).
LSAN_ENV := LSAN_OPTIONS=suppressions=$(abspath tests/lsan.supp)

unit: $(BUILD)/tests/unit
	$(LSAN_ENV) $(BUILD)/tests/unit --jobs 2

# The integration tests build examples/c against a staged install
# (ISOTEST_STAGE) of the plain build: a program built without the
# sanitizers cannot load an instrumented library.
STAGE := $(abspath build/stage)
integration: $(BUILD)/isotest $(BUILD)/tests/integration
	@$(MAKE) --no-print-directory SANITIZE= install PREFIX=$(STAGE) >/dev/null
	$(LSAN_ENV) ISOTEST_BIN=$(abspath $(BUILD)/isotest) ISOTEST_STAGE=$(STAGE) \
		$(BUILD)/tests/integration --jobs 2

ifeq ($(SANITIZE),thread)
# Criterion cannot start under TSan (its fork arena clashes with TSan's
# reserved memory), so the TSan build checks isotest itself: the plain
# integration suite drives the TSan binary through every scenario, and a
# data race makes that run exit 66, which fails the test that ran it.
test: deps
	@$(MAKE) --no-print-directory SANITIZE=thread build/san-thread/isotest
	@$(MAKE) --no-print-directory SANITIZE= build/tests/integration lib
	@$(MAKE) --no-print-directory SANITIZE= install PREFIX=$(abspath build/stage) >/dev/null
	TSAN_OPTIONS="halt_on_error=1 exitcode=66" ISOTEST_STAGE=$(abspath build/stage) \
		ISOTEST_BIN=$(abspath build/san-thread/isotest) build/tests/integration --jobs 2
else
test: deps check-layers
	@$(MAKE) --no-print-directory $(BUILD)/isotest $(BUILD)/tests/unit $(BUILD)/tests/integration lib
	@$(MAKE) --no-print-directory unit integration
endif

valgrind: deps $(BUILD)/tests/unit
	valgrind --error-exitcode=9 --leak-check=full --errors-for-leak-kinds=definite,indirect \
		--trace-children=yes --quiet $(BUILD)/tests/unit --jobs 1

demo: deps
	@$(MAKE) --no-print-directory $(BUILD)/isotest
	env -u PGHOST -u PGHOSTADDR -u PGPORT -u PGSERVICE -u PGDATABASE \
		$(BUILD)/isotest run --junit build/shop-report.xml examples/shop

# Every figure of the README, one script per part (each says what it
# measures at its top); they print, and fail only when something could
# not run.
BENCH_SCRIPTS := ci/bench.sh ci/bench_library.sh ci/bench_shard.sh \
	ci/bench_ci.sh ci/bench_backup.sh ci/bench_drift.sh ci/bench_pgtap.sh \
	ci/bench_schema.sh
bench: deps
	@$(MAKE) --no-print-directory $(BUILD)/isotest build/bench-clone lib
	@$(MAKE) --no-print-directory install PREFIX=$(abspath build/stage) >/dev/null
	@for s in $(BENCH_SCRIPTS); do \
		echo "== $$s"; \
		ISOTEST_STAGE=$(abspath build/stage) sh $$s || exit $$?; \
	done

build/bench-clone: tests/bench.c $(LIBREP) $(LIBINT)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS)

install: $(BUILD)/isotest lib
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(INCLUDEDIR) \
		$(DESTDIR)$(LIBDIR)/pkgconfig
	install -m 755 $(BUILD)/isotest $(DESTDIR)$(BINDIR)/isotest
	install -m 644 include/isotest.h $(DESTDIR)$(INCLUDEDIR)/isotest.h
	install -m 644 $(LIBA) $(DESTDIR)$(LIBDIR)/libisotest.a
	install -m 755 $(LIBSO_REAL) $(DESTDIR)$(LIBDIR)/
	ln -sf libisotest.so.$(VERSION) $(DESTDIR)$(LIBDIR)/libisotest.so.$(SOVERSION)
	ln -sf libisotest.so.$(SOVERSION) $(DESTDIR)$(LIBDIR)/libisotest.so
	@# The .pc is made for this PREFIX, whatever an earlier build used.
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' \
		-e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' -e 's|@VERSION@|$(VERSION)|' \
		ci/isotest.pc.in > $(DESTDIR)$(LIBDIR)/pkgconfig/isotest.pc

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/isotest $(DESTDIR)$(INCLUDEDIR)/isotest.h \
		$(DESTDIR)$(LIBDIR)/libisotest.a $(DESTDIR)$(LIBDIR)/libisotest.so* \
		$(DESTDIR)$(LIBDIR)/pkgconfig/isotest.pc

# runner/, production/ and reporters/ reach the library through
# include/isotest.h only:
# no isolation/ header may be included outside isolation/ and tests/.
check-layers:
	@bad=$$(grep -ln '#include "isolation/' runner/*.[ch] production/*.[ch] reporters/*.[ch] common/*.[ch] 2>/dev/null); \
	if [ -n "$$bad" ]; then echo "check-layers: isolation/ headers included by: $$bad" >&2; exit 1; fi
	@bad=$$(grep -ln '#include "runner/\|#include "reporters/' isolation/*.[ch] common/*.[ch] 2>/dev/null); \
	if [ -n "$$bad" ]; then echo "check-layers: the library includes runner/ or reporters/: $$bad" >&2; exit 1; fi

FORMAT_SRC = $(wildcard include/*.h common/*.[ch] isolation/*.[ch] \
	reporters/*.[ch] runner/*.[ch] production/*.[ch] tests/*.[ch] examples/c/*.[ch] \
	examples/criterion/*.[ch])
format:
	clang-format -i $(FORMAT_SRC)
check-format:
	clang-format --dry-run --Werror $(FORMAT_SRC)

clean:
	rm -rf build

-include $(shell find build -name '*.d' 2>/dev/null)
