# isotest: a plain Makefile.
#
#   make            build build/isotest
#   make test       install what is missing, build, run every test
#   make demo       install what is missing, build, run examples/shop
#   make bench      benchmarks (figures and ratios; no pass/fail on time)
#   make SANITIZE=address,undefined test   or   make SANITIZE=thread test
#   make valgrind   unit tests under valgrind (leaks are errors)
#   make format     clang-format every source file

CC ?= cc
PG_CONFIG ?= pg_config
VERSION := 0.1.0

PQ_INC := $(shell $(PG_CONFIG) --includedir 2>/dev/null || echo /usr/include/postgresql)
XML_CFLAGS := $(shell pkg-config --cflags libxml-2.0 2>/dev/null || echo -I/usr/include/libxml2)
XML_LIBS := $(shell pkg-config --libs libxml-2.0 2>/dev/null || echo -lxml2)

WARN := -Wall -Wextra -Werror -Wstrict-prototypes -Wmissing-prototypes \
	-Wvla -Wformat-security
CFLAGS ?= -O2 -g
ALL_CFLAGS := -std=c11 -D_POSIX_C_SOURCE=200809L -pthread $(WARN) $(CFLAGS) \
	-I$(PQ_INC) $(XML_CFLAGS) -Iisolation -Ireporters -Irunner \
	-DISOTEST_VERSION='"$(VERSION)"'
LDLIBS := -lpq $(XML_LIBS) -lcrypto -lm -pthread

# Sanitizer builds live in their own folder so objects never mix.
comma := ,
ifdef SANITIZE
BUILD := build/san-$(subst $(comma),-,$(SANITIZE))
ALL_CFLAGS += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -O1
LDFLAGS += -fsanitize=$(SANITIZE)
else
BUILD := build
endif

ISO_SRC := $(wildcard isolation/*.c)
REP_SRC := $(wildcard reporters/*.c)
RUN_SRC := $(filter-out runner/main.c,$(wildcard runner/*.c))
UNIT_SRC := $(filter-out tests/test_integration%.c,$(wildcard tests/test_*.c))
INTEG_SRC := $(wildcard tests/test_integration*.c)

ISO_OBJ := $(ISO_SRC:%.c=$(BUILD)/obj/%.o)
REP_OBJ := $(REP_SRC:%.c=$(BUILD)/obj/%.o)
RUN_OBJ := $(RUN_SRC:%.c=$(BUILD)/obj/%.o)

LIBISO := $(BUILD)/libisotest.a
LIBREP := $(BUILD)/libreporters.a
LIBRUN := $(BUILD)/librunner.a

.PHONY: all test unit integration demo bench deps valgrind format clean
all: $(BUILD)/isotest

deps:
	@sh ci/install-deps.sh

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

$(LIBISO): $(ISO_OBJ)
	@rm -f $@
	ar rcs $@ $^
$(LIBREP): $(REP_OBJ)
	@rm -f $@
	ar rcs $@ $^
$(LIBRUN): $(RUN_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/isotest: $(BUILD)/obj/runner/main.o $(LIBRUN) $(LIBREP) $(LIBISO)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)
ifdef SANITIZE
	@mkdir -p build && ln -sf $(notdir $(BUILD))/isotest build/isotest-san
endif

$(BUILD)/tests/unit: $(UNIT_SRC:%.c=$(BUILD)/obj/%.o) $(LIBRUN) $(LIBREP) $(LIBISO)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ -lcriterion $(LDLIBS)

$(BUILD)/tests/integration: $(INTEG_SRC:%.c=$(BUILD)/obj/%.o) $(BUILD)/obj/tests/helpers.o $(LIBRUN) $(LIBREP) $(LIBISO)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ -lcriterion $(LDLIBS)

# Leaks inside Criterion itself are not ours (tests/lsan.supp).
LSAN_ENV := LSAN_OPTIONS=suppressions=$(abspath tests/lsan.supp)

unit: $(BUILD)/tests/unit
	$(LSAN_ENV) $(BUILD)/tests/unit --jobs 2

integration: $(BUILD)/isotest $(BUILD)/tests/integration
	$(LSAN_ENV) ISOTEST_BIN=$(abspath $(BUILD)/isotest) $(BUILD)/tests/integration --jobs 2

ifeq ($(SANITIZE),thread)
# Criterion cannot start under TSan (its fork arena clashes with TSan's
# reserved memory), so the TSan build checks isotest itself: the plain
# integration suite drives the TSan binary through every scenario, and a
# data race makes that run exit 66, which fails the test that ran it.
test: deps
	@$(MAKE) --no-print-directory SANITIZE=thread build/san-thread/isotest
	@$(MAKE) --no-print-directory SANITIZE= build/tests/integration
	TSAN_OPTIONS="halt_on_error=1 exitcode=66" \
		ISOTEST_BIN=$(abspath build/san-thread/isotest) build/tests/integration --jobs 2
else
test: deps
	@$(MAKE) --no-print-directory $(BUILD)/isotest $(BUILD)/tests/unit $(BUILD)/tests/integration
	@$(MAKE) --no-print-directory unit integration
endif

valgrind: deps $(BUILD)/tests/unit
	valgrind --error-exitcode=9 --leak-check=full --errors-for-leak-kinds=definite,indirect \
		--trace-children=yes --quiet $(BUILD)/tests/unit --jobs 1

demo: deps
	@$(MAKE) --no-print-directory $(BUILD)/isotest
	env -u PGHOST -u PGHOSTADDR -u PGPORT -u PGSERVICE -u PGDATABASE \
		$(BUILD)/isotest run --junit build/shop-report.xml examples/shop

bench: deps
	@$(MAKE) --no-print-directory $(BUILD)/isotest build/bench-clone
	sh ci/bench.sh

build/bench-clone: tests/bench.c $(LIBREP) $(LIBISO)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS)

format:
	clang-format -i isolation/*.[ch] reporters/*.[ch] runner/*.[ch] tests/*.[ch]

clean:
	rm -rf build

-include $(shell find build -name '*.d' 2>/dev/null)
