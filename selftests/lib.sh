# SPDX-License-Identifier: GPL-2.0
#
# TAP for the shell selftests, in the shape the kselftest harness prints, so
# scripts/test counts both alike. A test is a function; it fails by returning
# non-zero, skips by calling skip "why".
#
#   . selftests/lib.sh
#   test_something() { ...; }
#   run_tests test_something ...

KSFT_SKIP=4

skip() {
	echo "$*" > "$ktap_skip_reason"
	exit $KSFT_SKIP
}

run_tests() {
	local n=0 failed=0 name rc
	ktap_skip_reason=$(mktemp)

	echo "TAP version 13"
	echo "1..$#"
	for name in "$@"; do
		n=$((n + 1))
		echo "#  RUN           $name ..."
		: > "$ktap_skip_reason"
		# A test that fails half-way must not leave a background job
		# holding the pipe open: the run would wait for it forever.
		( set -e; trap 'jobs -p | xargs -r kill 2>/dev/null' EXIT; "$name" ) 2>&1 |
			sed 's/^/# /'
		rc=${PIPESTATUS[0]}
		if [ "$rc" -eq 0 ]; then
			echo "ok $n $name"
		elif [ "$rc" -eq $KSFT_SKIP ]; then
			echo "ok $n $name # SKIP $(cat "$ktap_skip_reason")"
		else
			echo "not ok $n $name # exit status $rc"
			failed=$((failed + 1))
		fi
	done
	rm -f "$ktap_skip_reason"
	[ $failed -eq 0 ]
}
