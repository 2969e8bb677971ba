# SPDX-License-Identifier: GPL-2.0
#
# minitun's front door: one target per action. `make help` lists them.

# The kernel to build for and boot: Debian's 6.1 (bookworm) or 6.12
# (bookworm-backports); KDIR= builds the module against any other headers.
# Each kernel's build lives in build/RELEASE/, so switching rebuilds nothing.
KERNEL ?= 6.1
export KERNEL

BUILD := build
ifneq ($(origin KDIR),undefined)
KVER ?= $(shell cat $(KDIR)/include/config/kernel.release 2>/dev/null)
else ifneq ($(filter debug kcsan,$(KERNEL)),)
LANE_KERNEL = $(shell scripts/debug-kernel --dir $(KERNEL))
KVER := $(KERNEL)
KDIR = $(LANE_KERNEL)/linux-source-6.1
else
KVER ?= $(shell scripts/target-kernel $(KERNEL) 2>/dev/null)
KDIR := /usr/src/linux-headers-$(KVER)
endif
MODULE_DIR = $(BUILD)/$(KVER)/module

# Third-party files come from the newest linux-source tarball installed.
LINUX_SOURCE ?= $(shell ls /usr/src/linux-source-*.tar.xz 2>/dev/null | sort -V | tail -n 1)
SRC_NAME := $(notdir $(LINUX_SOURCE:.tar.xz=))
SRC_TOOLS := $(BUILD)/$(SRC_NAME)
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
# One BPF object for every kernel (CO-RE): built against the oldest
# supported kernel's BTF, relocated by libbpf against the running one's.
BPF_KVER := $(shell scripts/target-kernel 6.1 2>/dev/null)
VMLINUX_H := $(BUILD)/$(BPF_KVER)/vmlinux.h
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
.PHONY: test-debug test-kcsan

all: module user selftests

help:
	@echo 'minitun: a simplified tun driver to read, run and measure'
	@echo
	@echo '  make          build the module, the minitun command and the selftests'
	@echo '  make demo     boot a VM, bring up mtun0, ping through it and trace the packets'
	@echo '  make test     run every test (host side, then in one VM); ends "N passed, N failed"'
	@echo '  make test T=reader[:CASE]  one program (or one case) in the VM, no host tests'
	@echo '  make test KERNEL=6.12    the same on Debian 6.12 (bookworm-backports)'
	@echo '  make test KERNEL=debug   the same on a KASAN/lockdep/kmemleak kernel (built once)'
	@echo '  make test KERNEL=kcsan   stress, multiqueue and reader on a KCSAN kernel (built once)'
	@echo '  make bench    minitun against the real tun driver, side by side in one VM'
	@echo '  make style    checkpatch --strict and sparse on kmod/'
	@echo '  make deps     install the Debian packages minitun needs'
	@echo '  make clean    remove what the build made'
	@echo
	@echo '  scripts/vm --load -- COMMAND   run COMMAND in a fresh VM with the module loaded'
	@echo '  scripts/vm --load              the same, with an interactive shell'
	@echo
	@echo 'Variables: KERNEL=6.1|6.12|debug|kcsan (now $(KERNEL): $(KVER)),'
	@echo '           KDIR=HEADERS (build the module against any other kernel),'
	@echo '           V=1 (show commands), VM_ACCEL=tcg|kvm, VM_CPUS, VM_MEM'

check-kernel:
	@test -n "$(KVER)" -a -f "$(KDIR)/Makefile" || \
		{ echo "no headers for kernel $(KERNEL) $(KVER); run 'make deps'" >&2; exit 1; }

# Kbuild writes a module's objects beside its sources (M=), so each kernel's
# module is built in its own copy of them, $(MODULE_DIR): two kernels'
# builds never clean each other out. Debian's headers carry no vmlinux, so
# Kbuild cannot make module BTF and says so on every build; the tracer
# attaches to raw tracepoints, which need none. KBUILD_FLAGS is every
# Kbuild invocation's shared part.
MODULE_SOURCES := Kbuild kmod/Kbuild $(filter-out %.mod.c,$(wildcard kmod/*.c)) \
	$(wildcard kmod/*.h kmod/uapi/*.h)
KBUILD_FLAGS = -C $(KDIR) M=$(CURDIR)/$(MODULE_DIR) W=1 CONFIG_DEBUG_INFO_BTF_MODULES=

module: check-kernel $(addprefix $(MODULE_DIR)/,$(MODULE_SOURCES))
	$(call msg,KBUILD,$(MODULE_DIR)/kmod/minitun.ko for $(KVER))
	$(Q)$(MAKE) $(KBUILD_FLAGS) $(if $(Q),-s) modules

$(MODULE_DIR)/%: %
	$(Q)mkdir -p $(@D)
	$(Q)cp -p $< $@

# Third-party files come out of Debian's linux-source tarball at build time,
# all in one pass: reading the tarball is the slow part.
$(HARNESS) $(CHECKPATCH) $(EXTRACT_VMLINUX) &:
	$(call msg,EXTRACT,kselftest harness and checkpatch from $(LINUX_SOURCE))
	$(Q)test -r "$(LINUX_SOURCE)" || \
		{ echo "no /usr/src/linux-source-*.tar.xz; run 'make deps'" >&2; exit 1; }
	$(Q)mkdir -p $(SRC_TOOLS)
	$(Q)tar -xJf $(LINUX_SOURCE) -C $(SRC_TOOLS) --strip-components=1 \
		$(SRC_NAME)/tools/testing/selftests/kselftest_harness.h \
		$(SRC_NAME)/tools/testing/selftests/kselftest.h \
		$(SRC_NAME)/scripts/checkpatch.pl \
		$(SRC_NAME)/scripts/spelling.txt \
		$(SRC_NAME)/scripts/const_structs.checkpatch \
		$(SRC_NAME)/scripts/extract-vmlinux
	$(Q)touch $(HARNESS) $(CHECKPATCH) $(EXTRACT_VMLINUX)


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
		-I$(dir $(VMLINUX_H)) -I$(CURDIR)/kmod -c -o $@ $<
	$(Q)$(LLVM_STRIP) -g $@

$(BUILD)/user/%.skel.h: $(BUILD)/user/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< > $@

$(BUILD)/$(BPF_KVER)/vmlinux: /boot/vmlinuz-$(BPF_KVER) $(EXTRACT_VMLINUX)
	$(call msg,EXTRACT,$@)
	$(Q)mkdir -p $(@D)
	$(Q)sh $(EXTRACT_VMLINUX) $< > $@

$(VMLINUX_H): $(BUILD)/$(BPF_KVER)/vmlinux
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

# compat_ioctl's test is a 32-bit program (gcc -m32: gcc-multilib)
$(BUILD)/selftests/compat32: selftests/compat32.c $(SELFTEST_HEADERS) $(HARNESS)
	$(call msg,CC -m32,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) -m32 $(CFLAGS) -isystem $(dir $(HARNESS)) -o $@ $< -lpthread

deps:
	$(Q)scripts/deps

# demo, test and bench install what is missing first, so that they work on a
# fresh machine.
demo:
	$(Q)scripts/demo

# The VM boots KERNEL's image and loads the module built for it.
ifneq ($(filter debug kcsan,$(KERNEL)),)
test: test-$(KERNEL)
else
test:
	$(Q)$(if $(T),,scripts/deps)
	$(Q)$(MAKE) all
	$(Q)scripts/test $(T)
endif

# The debug lanes, each on a kernel of our own built once and cached
# outside the clone (scripts/debug-kernel.d/LANE.config):
# - debug: the whole suite with KASAN, lockdep, kmemleak and more; the VM
#   ends each run with a kmemleak scan.
# - kcsan: the programs where xmit, readers, writers and detach race, with
#   the data-race detector. A report with a frame in minitun fails the run;
#   scripts/vm lists those only in core code apart. Not part of CI: see
#   docs/debug-lane.md.
# Stress and fuzzing run ten minutes each here (twenty seconds on the stock
# kernel); MINITUN_STRESS_SECONDS and MINITUN_FUZZ_SECONDS override, and
# MINITUN_PROGRAM_TIMEOUT the per-program limit (selftests/settings).
LANE_PROGRAMS_kcsan := stress multiqueue reader
LANE_TIMEOUT_debug := 7200
LANE_TIMEOUT_kcsan := 3600
test-debug test-kcsan: test-%:
	$(Q)scripts/deps debug
	$(Q)$(MAKE) user selftests
	$(Q)kernel=$$(scripts/debug-kernel $*) && $(MAKE) module && \
		VM_KERNEL=$$(echo $$kernel/boot/vmlinuz-*) \
		VM_KMOD=$(MODULE_DIR)/kmod VM_MEM=$${VM_MEM:-2G} \
		MINITUN_STRESS_SECONDS=$${MINITUN_STRESS_SECONDS:-600} \
		MINITUN_FUZZ_SECONDS=$${MINITUN_FUZZ_SECONDS:-600} \
		MINITUN_PROGRAM_TIMEOUT=$${MINITUN_PROGRAM_TIMEOUT:-1800} \
		MINITUN_TEST_TIMEOUT=$${MINITUN_TEST_TIMEOUT:-$(LANE_TIMEOUT_$*)} \
		scripts/test $(or $(T),$(LANE_PROGRAMS_$*))

bench:
	$(Q)scripts/bench

# compat.h exists to key on LINUX_VERSION_CODE, which checkpatch warns of
# (and takes the version for a constant on the wrong side), and to give old
# kernels what checkpatch prefers.
style: module $(CHECKPATCH)
	$(call msg,CHECK,checkpatch --strict kmod/)
	$(Q)perl $(CHECKPATCH) --no-tree --strict --quiet --show-types -f \
		$(filter-out %.mod.c,$(wildcard kmod/*.c)) \
		$(filter-out kmod/compat.h,$(wildcard kmod/*.h kmod/uapi/*.h)) \
		Kbuild kmod/Kbuild
	$(Q)perl $(CHECKPATCH) --no-tree --strict --quiet --show-types -f \
		--ignore LINUX_VERSION_CODE,CONSTANT_COMPARISON,PREFER_ETHTOOL_PUTS,MACRO_ARG_UNUSED \
		kmod/compat.h
	$(call msg,CHECK,sparse kmod/)
	$(Q)$(MAKE) $(KBUILD_FLAGS) -s C=2 modules 2>&1 | \
		{ ! grep -E 'warning|error'; }

clean:
	$(call msg,CLEAN,)
	$(Q)rm -rf $(BUILD)
