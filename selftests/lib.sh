# SPDX-License-Identifier: GPL-2.0
#
# TAP for the shell selftests, in the shape the kselftest harness prints, so
# that selftests/run counts both alike. A test is a function; it fails by
# returning non-zero (it runs under set -e) and skips only by calling
# skip "why": a command that happens to exit 4 fails like any other.
#
#   . "$(dirname "$0")/lib.sh"	# beside the script, installed or not
#   require_cmd socat		# before run_tests: skips the whole file
#   test_something() { ...; }
#   run_tests test_something ...
#
# Sourced without arguments, it sees the script's own: the tests to run, by
# function name with or without "test_" (selftests/run trace.sh:ping_timeline),
# as a harness binary takes -t. A name that matches no test fails.
#
# Names follow tools/testing/selftests/net/lib.sh where they overlap
# (ksft_skip); none of its functions is defined here with another meaning.

ksft_skip=4
lib_selected=("$@")
lib_skip_reason=
lib_script=$(realpath -m "$0")	# for own_netns, before any cd

# skip WHY: in a test, skip that test; before run_tests, skip the whole file
# with kselftest's exit status 4. There is no skip without a reason.
skip() {
	if [ -z "$*" ]; then
		echo "skip needs a reason" >&2
		exit 1
	fi
	if [ -n "$lib_skip_reason" ]; then
		echo "$*" > "$lib_skip_reason"
		exit $ksft_skip
	fi
	echo "TAP version 13"
	echo "1..0 # SKIP $*"
	exit $ksft_skip
}

# The prerequisites every file checks the same way, each skipping with a
# reason when it is missing.
require_root() {
	[ "$(id -u)" -eq 0 ] || skip "needs root (CAP_NET_ADMIN)"
}

require_cmd() {
	local cmd

	for cmd in "$@"; do
		command -v "$cmd" > /dev/null || skip "$cmd is not installed (scripts/deps installs it)"
	done
}

# require_built PATH...: what make builds.
require_built() {
	local path

	for path in "$@"; do
		[ -x "$path" ] || skip "$path is not built: run make"
	done
}

# require_module NAME: a kernel module that can be loaded (tun, ...).
require_module() {
	[ -d "/sys/module/$1" ] || modprobe -q "$1" 2> /dev/null ||
		skip "the $1 module cannot be loaded"
}

# own_netns "$@": the rest of the script, run again from the top, in a
# network namespace of its own with a /sys that shows it (as ip netns exec
# mounts one) and lo up: its fixed device names and addresses then meet no
# other program's, so programs can run at once. First thing in the script.
# The new /sys hides what was mounted under the old one: tracefs and
# debugfs come back where they were.
own_netns() {
	local fs

	require_root
	if [ -z "${LIB_OWN_NETNS:-}" ]; then
		LIB_OWN_NETNS=1 exec unshare --net --mount -- "$BASH" "$lib_script" "$@"
	fi
	mount -t sysfs sysfs /sys
	for fs in tracefs:/sys/kernel/tracing debugfs:/sys/kernel/debug; do
		if [ -d "${fs#*:}" ]; then
			mount -t "${fs%%:*}" "${fs%%:*}" "${fs#*:}"
		fi
	done
	ip link set lo up
}

# wait_for SECONDS CMD [ARGS...]: run CMD until it succeeds, for at most
# SECONDS; the status of its last run. For state that takes time to appear
# (an interface, a tracer that has attached), never a fixed sleep.
wait_for() {
	local deadline=$((SECONDS + $1))

	shift
	until "$@"; do
		[ $SECONDS -lt $deadline ] || return 1
		sleep 0.1
	done
}

# if_exists NAME [NETNS]
if_exists() {
	if [ -n "${2:-}" ]; then
		ip netns exec "$2" test -d "/sys/class/net/$1"
	else
		test -d "/sys/class/net/$1"
	fi
}

# send_udp ADDRESS PORT [COUNT] [PAYLOAD]: COUNT datagrams from an unbound
# socket, with no tool that might be missing.
send_udp() {
	python3 - "$@" <<-'EOF'
	import socket, sys
	addr, port = sys.argv[1], int(sys.argv[2])
	count = int(sys.argv[3]) if len(sys.argv) > 3 else 1
	payload = (sys.argv[4] if len(sys.argv) > 4 else "minitun").encode()
	with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
	    for _ in range(count):
	        s.sendto(payload, (addr, port))
	EOF
}

# The tests selected on the command line, in the order run_tests has them;
# a selected name that is no test is printed to fd 3.
lib_select() {
	local name want found

	if [ ${#lib_selected[@]} -eq 0 ]; then
		printf '%s\n' "$@"
		return
	fi
	for name in "$@"; do
		for want in "${lib_selected[@]}"; do
			if [ "$name" = "$want" ] || [ "$name" = "test_$want" ]; then
				echo "$name"
				break
			fi
		done
	done
	for want in "${lib_selected[@]}"; do
		found=0
		for name in "$@"; do
			if [ "$name" = "$want" ] || [ "$name" = "test_$want" ]; then
				found=1
			fi
		done
		[ $found = 1 ] || echo "$want" >&3
	done
}

run_tests() {
	local n=0 failed=0 name rc tests unknown

	mapfile -t tests < <(lib_select "$@" 3> /dev/null)
	mapfile -t unknown < <(lib_select "$@" 3>&1 > /dev/null)
	lib_skip_reason=$(mktemp)

	echo "TAP version 13"
	echo "1..$((${#tests[@]} + ${#unknown[@]}))"
	for name in "${tests[@]}"; do
		n=$((n + 1))
		echo "#  RUN           $name ..."
		: > "$lib_skip_reason"
		# A test that fails half-way must not leave a background job
		# holding the pipe open: the run would wait for it forever.
		( set -e; trap 'jobs -p | xargs -r kill 2>/dev/null' EXIT; "$name" ) 2>&1 |
			sed 's/^/# /'
		rc=${PIPESTATUS[0]}
		if [ "$rc" -eq 0 ]; then
			echo "ok $n $name"
		elif [ "$rc" -eq $ksft_skip ] && [ -s "$lib_skip_reason" ]; then
			echo "ok $n $name # SKIP $(cat "$lib_skip_reason")"
		else
			echo "not ok $n $name # exit status $rc"
			failed=$((failed + 1))
		fi
	done
	for name in "${unknown[@]}"; do
		n=$((n + 1))
		echo "not ok $n $name # no such test in $0"
		failed=$((failed + 1))
	done
	rm -f "$lib_skip_reason"
	lib_skip_reason=
	[ $failed -eq 0 ]
}
