#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The totals cannot hide a failure: scripts/test on made-up programs that
# break their plan, die, fail a test, exit 4 without a reason, or outlive
# the VM. Each turns the closing line red and is named on a "# failed:"
# line; the whole log still parses as KTAP (the kernel's own KTAP parser,
# tools/testing/kunit, agrees with the closing line).

cd "$(dirname "$0")/../.." || exit 1
. selftests/lib.sh

# fake NAME LINES...: a program under $fakes printing LINES, one a line;
# a line may also be a shell command, after "!".
fake() {
	local name=$1 line

	shift
	{
		echo '#!/bin/bash'
		for line in "$@"; do
			if [ "${line#!}" != "$line" ]; then
				echo "${line#!}"
			else
				printf 'echo %q\n' "$line"
			fi
		done
	} > "$fakes/$name"
	chmod +x "$fakes/$name"
}

# totals ARGS...: scripts/test ARGS, its log in $fakes/log and its exit
# status in $fakes/status; prints its closing line.
totals() {
	local rc=0

	MINITUN_TEST_LOG=$fakes/log scripts/test "$@" 2>&1 > /dev/null || rc=$?
	echo $rc > "$fakes/status"
	cat "$fakes/log"
	tail -n 1 "$fakes/log" > "$fakes/closing"
}

closing_is() {
	[ "$(cat "$fakes/closing")" = "$1" ] ||
		{ echo "closing line '$(cat "$fakes/closing")', want '$1'"; return 1; }
	[ "$(cat "$fakes/status")" -ne 0 ] || { echo "scripts/test exited 0"; return 1; }
}

names() {
	grep -qxF "# failed: $1" "$fakes/log" || { echo "no line '# failed: $1'"; return 1; }
}

# Each test's own directory, in the repository: the VM sees it there.
setup() {
	fakes=$(mktemp -d "$scratch/${FUNCNAME[1]}.XXXX")
	fake pass 'TAP version 13' 1..3 'ok 1 a' 'ok 2 b' 'ok 3 c'
}

test_a_short_plan_fails_what_it_never_reported() {
	setup
	fake short 'TAP version 13' 1..61 '!for i in $(seq 40); do echo "ok $i t$i"; done'
	totals --host "$fakes/pass" --host "$fakes/short"
	closing_is "43 passed, 21 failed"
	names "$fakes/short: 21 of 61 planned results never reported"
}

test_a_program_killed_half_way_fails() {
	setup
	fake killed 'TAP version 13' 1..4 'ok 1 a' 'ok 2 b' '!kill -9 $$' 'ok 3 c'
	totals --host "$fakes/killed" --host "$fakes/pass"
	closing_is "5 passed, 2 failed"
	names "$fakes/killed: 2 of 4 planned results never reported (killed by signal 9)"
}

test_a_wrong_result_is_named() {
	setup
	fake wrong 'TAP version 13' 1..3 'ok 1 a' 'not ok 2 reader.wrong_errno' 'ok 3 c' '!exit 1'
	totals --host "$fakes/pass" --host "$fakes/wrong"
	closing_is "5 passed, 1 failed"
	names "$fakes/wrong: reader.wrong_errno"
}

test_a_script_that_dies_before_its_tap_fails() {
	setup
	fake dies '!set -e' '!false' 'TAP version 13'
	totals --host "$fakes/dies" --host "$fakes/pass"
	closing_is "3 passed, 1 failed"
	names "$fakes/dies: exit status 1"
}

# Two runs in one clone at once each total their own results, though they
# share a log: here one is held half-way while the other runs through.
test_two_runs_at_once_total_their_own() {
	local held=0

	setup
	mkfifo "$fakes/go"
	fake held 'TAP version 13' 1..2 'ok 1 a' "!touch $fakes/started" \
		"!read < $fakes/go" 'not ok 2 held.b' '!exit 1'
	MINITUN_TEST_LOG=$fakes/log scripts/test --host "$fakes/held" \
		> "$fakes/held.out" 2>&1 &
	wait_for 20 test -e "$fakes/started" || { echo "held never started"; return 1; }
	MINITUN_TEST_LOG=$fakes/log scripts/test --host "$fakes/pass" \
		> "$fakes/pass.out" 2>&1 || { echo "the passing run failed"; return 1; }
	echo > "$fakes/go"
	wait $! || held=$?
	cat "$fakes/held.out" "$fakes/pass.out"
	[ "$(tail -n 1 "$fakes/pass.out")" = "3 passed, 0 failed" ] &&
		[ "$(tail -n 1 "$fakes/held.out")" = "1 passed, 1 failed" ] &&
		[ $held -ne 0 ]
}

# A command exiting 4 is no skip, in a test or before run_tests; skip
# "why" is, and says why.
test_only_skip_with_a_reason_skips() {
	setup
	fake exit4 '!exit 4'
	fake lib "!. $PWD/selftests/lib.sh" \
		'!test_four() { sh -c "exit 4"; }' \
		'!test_skips() { skip "no frobnicator"; }' \
		'!test_fine() { true; }' \
		'!run_tests test_four test_skips test_fine'
	fake prereq "!. $PWD/selftests/lib.sh" '!require_cmd no-such-tool' \
		'!run_tests test_never'
	totals --host "$fakes/exit4" --host "$fakes/lib" --host "$fakes/prereq"
	closing_is "1 passed, 2 failed, 2 skipped"
	names "$fakes/exit4: exit status 4 without a SKIP reason"
	names "$fakes/lib: test_four # exit status 4"
	grep -q '^  ok 2 test_skips # SKIP no frobnicator$' "$fakes/log"
	grep -q '^ok 3 .*/prereq # SKIP no-such-tool is not installed' "$fakes/log"
}

# The VM times out in the second program: its missing results fail, and
# so does the program it never started, and the VM run itself.
test_a_vm_timeout_fails_what_it_never_ran() {
	local limit=${MINITUN_TOTALS_VM_TIMEOUT:-90} dir

	setup
	dir=${fakes#"$PWD/"}
	fake hang 'TAP version 13' 1..3 'ok 1 a' '!sleep 1000'
	fake never 'TAP version 13' 1..1 'ok 1 a'
	MINITUN_TEST_TIMEOUT=$limit totals "$dir/pass" "$dir/hang" "$dir/never"
	closing_is "4 passed, 4 failed"
	names "$dir/hang: 2 of 3 planned results never reported (the VM timed out after $limit s before it finished)"
	names "$dir/never: the VM timed out after $limit s before it ran"
	names "vm: timed out after $limit s"
}

# The kernel's KTAP parser reads the combined log, and counts what the
# closing line counts.
test_the_log_parses_as_ktap() {
	local kunit=build/ref/tools/testing/kunit source summary

	setup
	if [ ! -f "$kunit/kunit.py" ]; then
		source=$(ls /usr/src/linux-source-*.tar.xz 2>/dev/null | sort -V | tail -n 1)
		[ -n "$source" ] || skip "no linux-source tarball for the KTAP parser (scripts/deps)"
		mkdir -p build/ref
		tar -xJf "$source" -C build/ref --strip-components=1 \
			"$(basename "$source" .tar.xz)/tools/testing/kunit"
	fi
	fake short 'TAP version 13' 1..5 'ok 1 a' 'not ok 2 b' '!exit 1'
	fake skipped 'TAP version 13' '1..0 # SKIP not today'
	fake dies '!exit 3'
	totals --host "$fakes/pass" --host "$fakes/short" --host "$fakes/skipped" \
		--host "$fakes/dies"
	closing_is "4 passed, 5 failed, 1 skipped"
	summary=$(python3 "$kunit/kunit.py" parse "$fakes/log" 2>&1 | tail -n 1)
	echo "kunit.py: $summary"
	grep -q 'Ran 10 tests: passed: 4, failed: 5, skipped: 1$' <<< "$summary"
}

scratch=$(mktemp -d "$PWD/build/totals.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
run_tests test_a_short_plan_fails_what_it_never_reported \
	test_a_program_killed_half_way_fails \
	test_a_wrong_result_is_named \
	test_a_script_that_dies_before_its_tap_fails \
	test_two_runs_at_once_total_their_own \
	test_only_skip_with_a_reason_skips \
	test_the_log_parses_as_ktap \
	test_a_vm_timeout_fails_what_it_never_ran
