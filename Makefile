# SPDX-License-Identifier: GPL-2.0
#
# minitun's front door: one target per action. `make help` lists them.

KVER ?= $(shell scripts/target-kernel 2>/dev/null)
KDIR ?= /usr/src/linux-headers-$(KVER)
LINUX_SOURCE ?= /usr/src/linux-source-6.1.tar.xz

BUILD := build
SRC_TOOLS := $(BUILD)/linux-source
HARNESS := $(SRC_TOOLS)/tools/testing/selftests/kselftest_harness.h
CHECKPATCH := $(SRC_TOOLS)/scripts/checkpatch.pl
EXTRACT_VMLINUX := $(SRC_TOOLS)/scripts/extract-vmlinux

CC ?= gcc
CFLAGS ?= -O2 -g
WARNINGS := -Wall -Wextra
override CFLAGS += $(WARNINGS) -I$(CURDIR)/kmod

CLANG ?= clang
LLVM_STRIP ?= llvm-strip
BPFTOOL ?= bpftool

# The minitun command: every user/*.c, and each user/*.bpf.c as a skeleton
# the command includes. vmlinux.h comes from the BTF of the kernel the VM
# boots, never from the build machine's.
USER_OBJS := $(patsubst user/%.c,$(BUILD)/user/%.o,\
	$(filter-out %.bpf.c,$(wildcard user/*.c)))
USER_HEADERS := $(wildcard user/*.h) kmod/trace_args.h $(wildcard kmod/uapi/*.h)
SKELETONS := $(patsubst user/%.bpf.c,$(BUILD)/user/%.skel.h,$(wildcard user/*.bpf.c))
VMLINUX_H := $(BUILD)/vmlinux.h
USER_LIBS := -lmnl -lpcap -lbpf -lelf -lz -lpthread

SELFTESTS := $(patsubst selftests/%.c,$(BUILD)/selftests/%,$(wildcard selftests/*.c))
SELFTEST_HEADERS := $(wildcard selftests/*.h kmod/uapi/*.h)

ifeq ($(V),1)
Q :=
msg :=
else
Q := @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
MAKEFLAGS += --no-print-directory
endif

.PHONY: all module user selftests deps demo test bench style clean help check-kernel
.PHONY: test-debug module-debug

all: module user selftests

help:
	@echo 'minitun: a simplified tun driver to read, run and measure'
	@echo
	@echo '  make          build the module, the minitun command and the selftests'
	@echo '  make demo     boot a VM, bring up mtun0, ping through it and trace the packets'
	@echo '  make test     run every test (host side, then in one VM); ends "N passed, N failed"'
	@echo '  make test KERNEL=debug   the same on a KASAN/lockdep/kmemleak kernel (built once)'
	@echo '  make bench    minitun against the real tun driver, side by side in one VM'
	@echo '  make style    checkpatch --strict and sparse on kmod/'
	@echo '  make deps     install the Debian packages minitun needs'
	@echo '  make clean    remove what the build made'
	@echo
	@echo '  scripts/vm --load -- COMMAND   run COMMAND in a fresh VM with the module loaded'
	@echo '  scripts/vm --load              the same, with an interactive shell'
	@echo
	@echo 'Variables: V=1 (show commands), KVER (target kernel, now $(KVER)),'
	@echo '           VM_ACCEL=tcg|kvm, VM_CPUS, VM_MEM'

check-kernel:
	@test -n "$(KVER)" -a -f "$(KDIR)/Makefile" || \
		{ echo "no target kernel headers; run 'make deps'" >&2; exit 1; }

# Debian's headers carry no vmlinux, so Kbuild cannot make module BTF and
# says so on every build; the tracer attaches to raw tracepoints, which need
# none. KBUILD_FLAGS is every Kbuild invocation's shared part.
KBUILD_FLAGS := -C $(KDIR) M=$(CURDIR) W=1 CONFIG_DEBUG_INFO_BTF_MODULES=

module: check-kernel
	$(call msg,KBUILD,kmod/minitun.ko for $(KVER))
	$(Q)$(MAKE) $(KBUILD_FLAGS) $(if $(Q),-s) modules

# Third-party files come out of Debian's linux-source tarball at build time,
# all in one pass: reading the tarball is the slow part.
$(HARNESS) $(CHECKPATCH) $(EXTRACT_VMLINUX) &: | $(LINUX_SOURCE)
	$(call msg,EXTRACT,kselftest harness and checkpatch from $(LINUX_SOURCE))
	$(Q)mkdir -p $(SRC_TOOLS)
	$(Q)tar -xJf $(LINUX_SOURCE) -C $(SRC_TOOLS) --strip-components=1 \
		linux-source-6.1/tools/testing/selftests/kselftest_harness.h \
		linux-source-6.1/tools/testing/selftests/kselftest.h \
		linux-source-6.1/scripts/checkpatch.pl \
		linux-source-6.1/scripts/spelling.txt \
		linux-source-6.1/scripts/const_structs.checkpatch \
		linux-source-6.1/scripts/extract-vmlinux
	$(Q)touch $(HARNESS) $(CHECKPATCH) $(EXTRACT_VMLINUX)

$(LINUX_SOURCE):
	@echo "$@ is missing; run 'make deps'" >&2; exit 1

user: $(if $(USER_OBJS),$(BUILD)/minitun)

$(BUILD)/minitun: $(USER_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(USER_LIBS)

$(BUILD)/user/%.o: user/%.c $(USER_HEADERS) $(SKELETONS)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -I$(BUILD)/user -c -o $@ $<

# -mcpu=v3: 32-bit registers, which the tracer hashes the skb's address with
$(BUILD)/user/%.bpf.o: user/%.bpf.c $(USER_HEADERS) $(VMLINUX_H)
	$(call msg,BPF,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) -g -O2 -Wall -target bpf -mcpu=v3 -D__TARGET_ARCH_x86 \
		-I$(BUILD) -I$(CURDIR)/kmod -c -o $@ $<
	$(Q)$(LLVM_STRIP) -g $@

$(BUILD)/user/%.skel.h: $(BUILD)/user/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< > $@

$(BUILD)/vmlinux-$(KVER): /boot/vmlinuz-$(KVER) $(EXTRACT_VMLINUX)
	$(call msg,EXTRACT,$@)
	$(Q)sh $(EXTRACT_VMLINUX) $< > $@

$(VMLINUX_H): $(BUILD)/vmlinux-$(KVER)
	$(call msg,GEN,$@)
	$(Q)$(BPFTOOL) btf dump file $< format c > $@

selftests: $(SELFTESTS)

# delete half-made targets; keep the intermediate ones (.bpf.o, .skel.h)
.DELETE_ON_ERROR:
.SECONDARY:

# The harness comes in as a system header: its macros trip -Wextra in ways
# that are not ours to fix.
$(BUILD)/selftests/%: selftests/%.c $(SELFTEST_HEADERS) $(HARNESS)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -isystem $(dir $(HARNESS)) -o $@ $< -lpthread

deps:
	$(Q)scripts/deps

# demo, test and bench install what is missing first, so that they work on a
# fresh machine.
demo:
	$(Q)scripts/demo

ifeq ($(KERNEL),debug)
test: test-debug
else ifneq ($(KERNEL),)
test:
	@echo "KERNEL is 'debug' or unset (the stock kernel), not '$(KERNEL)'" >&2; exit 2
else
test:
	$(Q)scripts/deps
	$(Q)$(MAKE) all
	$(Q)scripts/test
endif

# The debug lane: the whole suite on a kernel of our own with KASAN,
# lockdep, kmemleak and more (scripts/debug-kernel.config), built once and
# cached outside the clone; the VM ends each run with a kmemleak scan.
# Stress and fuzzing run ten minutes each here (twenty seconds on the stock
# kernel); MINITUN_STRESS_SECONDS and MINITUN_FUZZ_SECONDS override.
# Kbuild writes a module's objects beside its sources (M=), and other runs
# load kmod/minitun.ko into the stock kernel, so the debug module is built
# from a copy of the sources in build/debug/module instead.
DEBUG_KERNEL = $(shell scripts/debug-kernel --dir)
DEBUG_MODULE := $(BUILD)/debug/module

test-debug:
	$(Q)scripts/deps debug
	$(Q)$(MAKE) user selftests
	$(Q)kernel=$$(scripts/debug-kernel) && $(MAKE) module-debug && \
		VM_KERNEL=$$(echo $$kernel/boot/vmlinuz-*) \
		VM_KMOD=$(DEBUG_MODULE)/kmod VM_MEM=$${VM_MEM:-2G} \
		MINITUN_STRESS_SECONDS=$${MINITUN_STRESS_SECONDS:-600} \
		MINITUN_FUZZ_SECONDS=$${MINITUN_FUZZ_SECONDS:-600} \
		MINITUN_TEST_TIMEOUT=$${MINITUN_TEST_TIMEOUT:-7200} scripts/test

module-debug:
	$(call msg,KBUILD,$(DEBUG_MODULE)/kmod/minitun.ko for the debug kernel)
	$(Q)test -f $(DEBUG_KERNEL)/built || \
		{ echo "no debug kernel built; run scripts/debug-kernel" >&2; exit 1; }
	$(Q)mkdir -p $(DEBUG_MODULE)/kmod/uapi
	$(Q)cp -p Kbuild $(DEBUG_MODULE)/
	$(Q)cp -p kmod/Kbuild $(filter-out %.mod.c,$(wildcard kmod/*.c)) \
		$(wildcard kmod/*.h) $(DEBUG_MODULE)/kmod/
	$(Q)cp -p $(wildcard kmod/uapi/*.h) $(DEBUG_MODULE)/kmod/uapi/
	$(Q)$(MAKE) -C $(DEBUG_KERNEL)/linux-source-6.1 M=$(CURDIR)/$(DEBUG_MODULE) \
		W=1 $(if $(Q),-s) modules

bench:
	$(Q)scripts/bench

style: module $(CHECKPATCH)
	$(call msg,CHECK,checkpatch --strict kmod/)
	$(Q)perl $(CHECKPATCH) --no-tree --strict --quiet --show-types -f \
		$(filter-out %.mod.c,$(wildcard kmod/*.c)) $(wildcard kmod/*.h kmod/uapi/*.h) \
		Kbuild kmod/Kbuild
	$(call msg,CHECK,sparse kmod/)
	$(Q)$(MAKE) $(KBUILD_FLAGS) -s C=2 modules 2>&1 | \
		{ ! grep -E 'warning|error'; }

clean:
	$(call msg,CLEAN,)
	$(Q)if [ -f "$(KDIR)/Makefile" ]; then $(MAKE) $(KBUILD_FLAGS) -s clean; fi
	$(Q)rm -rf $(BUILD)
