#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The two kernels minitun supports build side by side: each kernel's module
# in its own build/RELEASE/, one minitun command and one BPF object for
# both, so that switching KERNEL rebuilds nothing.

cd "$(dirname "$0")/../.." || exit 1
. selftests/lib.sh

build_both() {
	make -s all KERNEL=6.1 >/dev/null && make -s all KERNEL=6.12 >/dev/null
}

# What each build makes, with its modification time.
stamps() {
	stat -c '%n %Y.%y' build/minitun build/user/trace.bpf.o \
		"build/$(scripts/target-kernel 6.1)/module/kmod/minitun.ko" \
		"build/$(scripts/target-kernel 6.12)/module/kmod/minitun.ko"
}

test_switching_kernels_rebuilds_nothing() {
	local before after
	build_both
	before=$(stamps)
	build_both
	after=$(stamps)
	echo "$after"
	[ "$before" = "$after" ]
}

test_each_kernel_has_its_own_module() {
	local release ko
	build_both
	for kernel in 6.1 6.12; do
		release=$(scripts/target-kernel "$kernel")
		ko=build/$release/module/kmod/minitun.ko
		echo "$kernel: $ko, vermagic $(modinfo -F vermagic "$ko" | cut -d' ' -f1)"
		[ "$(modinfo -F vermagic "$ko" | cut -d' ' -f1)" = "$release" ]
	done
}

test_kdir_builds_against_other_headers() {
	local release out
	release=$(scripts/target-kernel 6.12)
	out=$(make -s module KDIR="/usr/src/linux-headers-$release" 2>&1)
	echo "$out"
	[ -f "build/$release/module/kmod/minitun.ko" ]
}

run_tests test_switching_kernels_rebuilds_nothing test_each_kernel_has_its_own_module \
	test_kdir_builds_against_other_headers
