#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The VM runner's own contract (DESIGN.md, "The throwaway VM"): output and
# exit status pass through, a guest kernel splat fails the run, the timeout
# fires.

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
	test_tcg_guest_has_no_erms_and_takes_vm_append
