# batchwatch — plain Makefile. `make`, `make test`, `make demo`, `make bench`, `make deps`,
# `make install`, `make clean`. V=1 shows full command lines.

VERSION     := 0.1.0
PREFIX      ?= /usr
SYSCONFDIR  ?= /etc
DESTDIR     ?=
BUILD       ?= build
CC          ?= cc

Q := $(if $(V),,@)
PKGS        := libsystemd libcurl json-c
PKG_CFLAGS  := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS    := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
BPF_LIBS    := $(shell pkg-config --libs libbpf 2>/dev/null)

WARN        := -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter -Wmissing-prototypes -Wformat=2 -Wvla
BASE_CFLAGS := -std=gnu11 -g -O2 -D_GNU_SOURCE -DBATCHWATCH_VERSION=\"$(VERSION)\" $(WARN) \
               -Iagent -Iagent/util -I$(BUILD)/gen $(PKG_CFLAGS)
CFLAGS      ?=
LDLIBS      := $(PKG_LIBS) $(BPF_LIBS) -lm

# Every agent source except main.c goes into a static library that unit tests link against.
AGENT_SRCS  := $(filter-out agent/main.c,$(shell find agent -name '*.c' -not -name '*.bpf.c' | sort))
UNIT_SRCS   := $(sort $(wildcard tests/unit/test-*.c))

define objs
$(patsubst %.c,$(1)/%.o,$(2))
endef

all: $(BUILD)/batchwatch

# Extra rules (eBPF skeletons, packaging) live beside what they build.
-include agent/source/bpf/bpf.mk
-include packaging/packaging.mk

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(BASE_CFLAGS) $(CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/libbatchwatch.a: $(call objs,$(BUILD),$(AGENT_SRCS))
	$(Q)rm -f $@ && ar rcs $@ $^

$(BUILD)/batchwatch: $(BUILD)/agent/main.o $(BUILD)/libbatchwatch.a
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

# Unit tests: one binary per tests/unit/test-*.c, normal and sanitizer builds.
SAN         := $(BUILD)/san
SAN_FLAGS   := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

$(SAN)/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC[san] $<")
	$(Q)$(CC) $(BASE_CFLAGS) $(SAN_FLAGS) -O1 -MMD -MP -c $< -o $@

$(SAN)/libbatchwatch.a: $(call objs,$(SAN),$(AGENT_SRCS))
	$(Q)rm -f $@ && ar rcs $@ $^

$(BUILD)/tests/%: $(BUILD)/tests/unit/%.o $(BUILD)/libbatchwatch.a
	$(Q)$(CC) -o $@ $^ $(LDLIBS) -lcmocka

$(SAN)/tests/%: $(SAN)/tests/unit/%.o $(SAN)/libbatchwatch.a
	$(Q)$(CC) $(SAN_FLAGS) -o $@ $^ $(LDLIBS) -lcmocka

UNIT_BINS     := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRCS))
UNIT_SAN_BINS := $(patsubst tests/unit/%.c,$(SAN)/tests/%,$(UNIT_SRCS))

unit: $(UNIT_BINS)
	$(Q)tests/run-unit.sh $(UNIT_BINS)

unit-san: $(UNIT_SAN_BINS)
	$(Q)ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 tests/run-unit.sh $(UNIT_SAN_BINS)

unit-valgrind: $(UNIT_BINS)
	$(Q)tests/run-unit.sh --valgrind $(UNIT_BINS)

integration: $(BUILD)/batchwatch
	$(Q)tests/integration/run.sh $(BUILD)/batchwatch

test: all unit unit-san integration
	@echo "make test: all suites passed"

demo: $(BUILD)/batchwatch
	$(Q)tests/demo.sh $(BUILD)/batchwatch

bench: $(BUILD)/batchwatch
	$(Q)tests/bench/run.sh $(BUILD)/batchwatch

deps:
	$(Q)tests/deps.sh

install: $(BUILD)/batchwatch
	install -Dm0755 $(BUILD)/batchwatch $(DESTDIR)$(PREFIX)/bin/batchwatch
	install -Dm0644 conf/batchwatch.conf $(DESTDIR)$(SYSCONFDIR)/batchwatch/batchwatch.conf
	$(Q)if [ -f packaging/batchwatch.service ]; then \
		install -Dm0644 packaging/batchwatch.service $(DESTDIR)$(PREFIX)/lib/systemd/system/batchwatch.service; \
		install -Dm0644 packaging/batchwatch.sysusers $(DESTDIR)$(PREFIX)/lib/sysusers.d/batchwatch.conf; \
		install -Dm0644 packaging/batchwatch.tmpfiles $(DESTDIR)$(PREFIX)/lib/tmpfiles.d/batchwatch.conf; \
	fi

clean:
	rm -rf $(BUILD)

.PHONY: all unit unit-san unit-valgrind integration test demo bench deps install clean
.SECONDARY:

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
