#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The VM runner's own contract (DESIGN.md, "The throwaway VM"): output and
# exit status pass through, a guest kernel splat fails the run, the timeout
# fires; and KCSAN reports are counted or listed apart as the lane says.

cd "$(dirname "$0")/../.." || exit 1
. selftests/lib.sh

test_output_and_success_pass_through() {
	local out
	out=$(scripts/vm -- sh -c 'uname -r; echo "in $(pwd)"')
	echo "$out"
	[ "$out" = "$(scripts/target-kernel)
in $(pwd)" ]
}

test_failure_status_passes_through() {
	local rc=0
	scripts/vm -- sh -c 'exit 7' || rc=$?
	echo "exit status $rc"
	[ $rc -eq 7 ]
}

test_splat_fails_a_successful_run() {
	local rc=0 err
	err=$(scripts/vm -- sh -c \
		'echo "WARNING: CPU: 0 PID: 1 at selftest.c:1 injected" > /dev/kmsg' 2>&1) || rc=$?
	echo "$err"
	[ $rc -ne 0 ] && grep -q 'WARNING: CPU: 0 PID: 1 at selftest.c:1 injected' <<< "$err"
}

test_timeout_kills_the_vm() {
	local rc=0 err start=$SECONDS
	err=$(scripts/vm --timeout 15 -- sleep 600 2>&1) || rc=$?
	echo "$err"
	[ $rc -eq 124 ] && grep -q 'timed out after 15s' <<< "$err" &&
		[ $((SECONDS - start)) -lt 60 ]
}

# A KCSAN report as the detector prints it, as shell commands that write it
# to /dev/kmsg: TITLE, then each access, "read:" or "write:" and its frames,
# comma-separated, with "@" for the space before a module's name.
kcsan_report() {
	local title=$1 access frame
	shift
	echo "echo ==================================================================;"
	echo "echo 'BUG: KCSAN: $title';"
	local IFS=$' \t\n,'
	for access in "$@"; do
		echo "echo '${access%%:*} to 0xffff8880036a238c of 4 bytes by task 1 on cpu 0:';"
		for frame in ${access#*:}; do
			echo "echo ' ${frame/@/ }';"
		done
	done
	echo "echo ==================================================================;"
}

# The KCSAN lane's verdicts (scripts/vm): a race with an access in minitun
# fails the run; one only in core code is listed apart; and the known race
# between the core's own accesses that minitun reaches as tun does is
# listed apart even with minitun below it, but only that pair.
test_kcsan_reports_sorted() {
	local rc=0 out cmd
	cmd=$(kcsan_report 'data-race in netdev_core_pick_tx / netif_set_real_num_tx_queues' \
		'write:netif_set_real_num_tx_queues+0xea/0x370,minitun_queue_attach+0x36a/0x7d0@[minitun]' \
		'read:netdev_core_pick_tx+0xa9/0x110,__dev_queue_xmit+0x2a8/0x1100'
	      kcsan_report 'data-race in ktime_get_mono_fast_ns / timekeeping_update' \
		'write:timekeeping_update+0x1/0x2' 'read:ktime_get_mono_fast_ns+0x1/0x2'
	      kcsan_report 'data-race in minitun_select_queue [minitun] / netif_set_real_num_tx_queues' \
		'write:netif_set_real_num_tx_queues+0xea/0x370,minitun_queue_attach+0x36a/0x7d0@[minitun]' \
		'read:minitun_select_queue+0x1/0x2@[minitun],netdev_core_pick_tx+0xa9/0x110')
	# devkmsg limits a writer to ten lines in five seconds unless on
	out=$(scripts/vm -- sh -c \
		"echo on > /proc/sys/kernel/printk_devkmsg; exec > /dev/kmsg; $cmd" 2>&1) || rc=$?
	echo "$out"
	[ $rc -ne 0 ] &&
		grep -q 'splat:' <<< "$out" &&
		grep -q 'BUG: KCSAN: data-race in minitun_select_queue \[minitun\]' <<< "$out" &&
		grep -q 'known race in core code, not counted: KCSAN: data-race in netdev_core_pick_tx / netif_set_real_num_tx_queues (1 times)' <<< "$out" &&
		grep -q 'in core code only, not counted: KCSAN: data-race in ktime_get_mono_fast_ns / timekeeping_update (1 times)' <<< "$out" &&
		! grep -q '\] BUG: KCSAN: data-race in netdev_core_pick_tx' <<< "$out"
}

# Under TCG the guest has no ERMS (scripts/vm says why); VM_APPEND reaches
# the guest's command line. One boot checks both.
test_tcg_guest_has_no_erms_and_takes_vm_append() {
	local out
	[ "${VM_ACCEL:-tcg}" = tcg ] || skip "VM_ACCEL=$VM_ACCEL: the host's CPU model"
	[ -z "${VM_CPU:-}" ] || skip "VM_CPU=$VM_CPU picks the CPU model"
	out=$(VM_APPEND=minitun.selftest=1 scripts/vm -- sh -c \
		'grep -cw erms /proc/cpuinfo; grep -o "minitun.selftest=1" /proc/cmdline')
	echo "$out"
	[ "$out" = "0
minitun.selftest=1" ]
}

run_tests test_output_and_success_pass_through \
	test_failure_status_passes_through \
	test_splat_fails_a_successful_run \
	test_timeout_kills_the_vm \
	test_kcsan_reports_sorted \
	test_tcg_guest_has_no_erms_and_takes_vm_append
