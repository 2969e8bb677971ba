#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# scripts/bench-report's arithmetic, on runs made up so that a ratio of
# medians and the median of per-repeat ratios differ: a repeat's runs are
# compared with each other, never with another repeat's.

cd "$(dirname "$0")/../.." || exit 1
. selftests/lib.sh

# mode dev pps traced repeat [batch]; traced: true, false or reference
bench_run() {
	local traced=$4

	[ "$traced" = reference ] && traced='false, "trace_reference": true'
	printf '{"dev": "%s", "mode": "%s", "size": 64, "queues": 1, "batch": %s, "pps": %s, "bps": 0, "drops": 0, "p50_ns": 0, "p99_ns": 0, "cpu_ns_per_packet": 0, "traced": %s, "repeat": %s}\n' \
		"$2" "$1" "${6:-0}" "$3" "$traced" "$5"
}

# What bench-report wrote for one comparison: "ratio low high".
comparison() {
	python3 -c '
import json, sys
report = json.load(open(sys.argv[1]))
entry = next(e for e in report[sys.argv[2]] if e.get("batch", 0) == int(sys.argv[3]))
print(entry[sys.argv[4]], *entry["spread"])' "$@"
}

test_bench_report_pairs_runs_by_repeat() {
	local tmp
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' RETURN

	# The machine is fast in repeats 1 and 3, half as fast in 2 and 4;
	# minitun is twice tun in each, except in repeat 3 (1.2x). A fifth
	# minitun run has no tun run to pair with, and must count nowhere.
	# Traced runs are 0.8 of the untraced run beside tun's, but 0.5, 0.8,
	# 1.0 and 1.0 of their own references, which nothing else may count.
	{
		bench_run rx tun 100 false 1
		bench_run rx minitun 200 false 1
		bench_run rx minitun 320 reference 1
		bench_run rx minitun 160 true 1
		bench_run rx minitun 400 false 1 32
		bench_run rx tun 50 false 2
		bench_run rx minitun 100 false 2
		bench_run rx minitun 80 true 2
		bench_run rx minitun 100 reference 2
		bench_run rx minitun 200 false 2 32
		bench_run rx tun 100 false 3
		bench_run rx minitun 120 false 3
		bench_run rx minitun 96 reference 3
		bench_run rx minitun 96 true 3
		bench_run rx minitun 300 false 3 32
		bench_run rx tun 50 false 4
		bench_run rx minitun 100 false 4
		bench_run rx minitun 80 true 4
		bench_run rx minitun 80 reference 4
		bench_run rx minitun 200 false 4 32
		bench_run rx minitun 1000 false 5
	} > "$tmp/runs.jsonl"
	echo '{"kernel": "test", "cpus": 2, "accel": "tcg", "erms": false}' > "$tmp/runs.jsonl.env"

	scripts/bench-report "$tmp/runs.jsonl" "$tmp/bench.json" > "$tmp/table"
	cat "$tmp/table"
	# Ratios of medians would say 120/75 = 1.6, 250/75 and 88/120.
	[ "$(comparison "$tmp/bench.json" ratios 0 minitun_over_tun)" = "2.0 1.2 2.0" ]
	[ "$(comparison "$tmp/bench.json" ratios 32 minitun_over_tun)" = "4.0 3.0 4.0" ]
	[ "$(comparison "$tmp/bench.json" trace_overhead 0 traced_over_untraced)" = "0.9 0.5 1.0" ]
	grep -q '^rx *64  1 *32 .* 4.000 (3.00-4.00)  met (>= 2.0)$' "$tmp/table"
}

run_tests test_bench_report_pairs_runs_by_repeat
