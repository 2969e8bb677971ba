#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# docs/tour.md, run as its reader runs it: every ```sh tour block, in order,
# in one shell, as typed into `scripts/vm --load`; then each ```text tour
# block that follows a step is checked against what that step printed. The
# commands and the output are the doc's own, never copied here, so the doc
# cannot drift from what minitun prints.
#
# A line of a text block matches a line of output of the same shape: every
# number (decimal, hex, 0x..., the digits in 10.0.0.1 or 1/500) stands for
# any number, and runs of blanks for any blank. So the stage columns of a
# minitun trace line must all hold times, a tracepoint line must name its
# tracepoint and fields, and a drop must give its reason. Lines of "..."
# stand for lines left out. In the VM, with the module loaded.
# MINITUN_TOUR_KEEP=DIR keeps each step's script and output there.

. "$(dirname "$0")/lib.sh"

own_netns "$@"
cd "$(dirname "$0")/.." || exit 1

TOUR=${MINITUN_TOUR:-docs/tour.md}
MINITUN_TOUR_TIMEOUT=${MINITUN_TOUR_TIMEOUT:-240}	# seconds, for all the steps together

work=$(mktemp -d)
trap 'if [ -n "${MINITUN_TOUR_KEEP:-}" ]; then mkdir -p "$MINITUN_TOUR_KEEP"; cp "$work"/* "$MINITUN_TOUR_KEEP"/; fi; rm -rf "$work"' EXIT

# docs/tour.md's steps as $work/N.sh, each with what it prints, $work/N.expect.
extract_steps() {
	awk -v dir="$work" '
		/^```sh tour[ \t]*$/ { n++; file = dir "/" n ".sh"; printf "" > file; on = 1; next }
		/^```text tour[ \t]*$/ {
			if (!n) { print "a text tour block before any sh tour block" > "/dev/stderr"; exit 1 }
			file = dir "/" n ".expect"; printf "" > file; on = 1; next
		}
		/^```/ { on = 0; next }
		on { print > file }
		END { print n + 0 > (dir "/steps") }
	' "$TOUR"
}

# A line's shape: numbers become #, blanks one space.
shape() {
	awk '{
		s = $0; out = ""
		gsub(/0x[0-9a-f]+/, "#", s)
		while (match(s, /[0-9a-fA-F]+/)) {
			tok = substr(s, RSTART, RLENGTH)
			out = out substr(s, 1, RSTART - 1) (tok ~ /[0-9]/ ? "#" : tok)
			s = substr(s, RSTART + RLENGTH)
		}
		s = out s
		gsub(/[ \t]+/, " ", s); sub(/^ /, "", s); sub(/ $/, "", s)
		print s
	}'
}

# Every step in one bash, as typed into one shell: one output stream, with
# a mark where each step starts, so that what a background job (a reader, a
# tracer) prints counts in the step that was running when it printed it, as
# on a terminal. The jobs run in the session that setsid makes, so whatever
# the tour leaves running is killed with it.
run_steps() {
	local n=$1 i pid tenths

	{
		echo 'exec >> "$TOUR_LOG" 2>&1'
		for i in $(seq "$n"); do
			echo "echo '@@tour-step $i'"
			cat "$work/$i.sh"
		done
	} > "$work/tour"

	: > "$work/tour.log"
	TOUR_LOG=$work/tour.log setsid bash "$work/tour" < /dev/null > /dev/null 2>&1 &
	pid=$!
	for tenths in $(seq $((MINITUN_TOUR_TIMEOUT * 10))); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$pid" 2>/dev/null && echo "the tour ran past ${MINITUN_TOUR_TIMEOUT}s"
	kill -KILL -- "-$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true

	awk -v dir="$work" '/^@@tour-step [0-9]+$/ { file = dir "/" $2 ".log"; printf "" > file; next }
			    file { print > file }' "$work/tour.log"
}

# Each line the doc shows for step I is in what step I printed.
check_step() {
	local i=$1 line missing=0

	[ -f "$work/$i.expect" ] || return 0
	shape < "$work/$i.log" > "$work/$i.shapes"
	while IFS= read -r line; do
		case "$line" in ''|...) continue ;; esac
		grep -qxF -- "$(shape <<< "$line")" "$work/$i.shapes" && continue
		echo "step $i: $TOUR shows a line the step did not print:"
		echo "    $line"
		missing=1
	done < "$work/$i.expect"
	if [ $missing -ne 0 ]; then
		echo "step $i ran:"
		sed 's/^/    $ /' "$work/$i.sh"
		echo "and printed:"
		sed 's/^/    /' "$work/$i.log"
	fi
	return $missing
}

cleanup_devices() {
	jobs -p | xargs -r kill 2>/dev/null || true
	ip link del mtun0 2>/dev/null || true
	ip link del tun0 2>/dev/null || true
}

test_tour_prints_what_it_says() {
	local n i failed=0

	trap cleanup_devices EXIT
	extract_steps
	n=$(cat "$work/steps")
	[ "$n" -gt 0 ] || { echo "no \`\`\`sh tour blocks in $TOUR"; return 1; }
	ls "$work"/*.expect > /dev/null 2>&1 || { echo "no \`\`\`text tour blocks in $TOUR"; return 1; }
	echo "$TOUR: $n steps, $(ls "$work"/*.expect | wc -l) with output to check"

	run_steps "$n"
	for i in $(seq "$n"); do
		[ -f "$work/$i.log" ] || { echo "step $i never ran"; failed=1; continue; }
		check_step "$i" || failed=1
	done
	[ $failed -eq 0 ]
}

require_root
require_built build/minitun
[ -f "$TOUR" ] || { echo "$TOUR is missing" >&2; exit 1; }

run_tests test_tour_prints_what_it_says
