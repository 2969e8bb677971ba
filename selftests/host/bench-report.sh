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
	grep -q '^rx *64  1  1 *32 .* 4.000 (3.00-4.00)  met (>= 2.0)$' "$tmp/table"
}

# rx: dev queues senders pps repeat queue_cpus, with senders on CPUs 0..s-1
scaled_run() {
	local senders=$3 cpus

	cpus=$(seq -s ', ' 0 $((senders - 1)))
	printf '{"dev": "%s", "mode": "rx", "size": 64, "queues": %s, "senders": %s, "batch": 0, "pps": %s, "bps": 0, "drops": 0, "p50_ns": 0, "p99_ns": 0, "cpu_ns_per_packet": 0, "sender_cpus": [%s], "queue_cpus": [%s], "traced": false, "repeat": %s}\n' \
		"$1" "$2" "$senders" "$4" "$cpus" "$6" "$5"
}

# What bench-report wrote for one scaling ratio: "ratio low high shared".
scaling() {
	python3 -c '
import json, sys
report = json.load(open(sys.argv[1]))
entry = next(e for e in report["scaling"] if e["dev"] == sys.argv[2]
             and e["queues"] == int(sys.argv[3]) and e["senders"] == int(sys.argv[4]))
print(entry["over_one_queue"], *entry["spread"], entry.get("shared_cpus", False))' "$@"
}

# Rows with several senders are rows of their own, each paired with one
# queue and one sender in its repeat; a row whose threads shared a vCPU is
# marked and held to no target but no collapse on two queues; and a row the
# guest had no room for is reported as not run, with why.
test_bench_report_scaling_and_not_run_rows() {
	local tmp
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' RETURN

	# Four vCPUs: one queue and one sender on CPUs 0 and 1; two queues and
	# one sender with their readers on CPUs 1 and 2; two queues and two
	# senders, readers on 2 and 3. A second two-sender row shares CPU 2.
	# The machine halves its speed in repeat 2, both drivers alike.
	{
		echo '{"not_run": true, "mode": "rx", "size": 64, "queues": 4, "senders": 4, "needs_cpus": 8, "why": "needs 8 vCPUs, one for each thread; the guest has 4"}'
		scaled_run minitun 1 1 100 1 1
		scaled_run tun 1 1 100 1 1
		scaled_run minitun 2 1 90 1 '1, 2'
		scaled_run tun 2 1 80 1 '1, 2'
		scaled_run minitun 2 2 170 1 '2, 3'
		scaled_run tun 2 2 150 1 '2, 3'
		scaled_run minitun 1 1 50 2 1
		scaled_run tun 1 1 50 2 1
		scaled_run minitun 2 1 40 2 '1, 2'
		scaled_run tun 2 1 40 2 '1, 2'
		scaled_run minitun 2 2 75 2 '2, 3'
		scaled_run tun 2 2 80 2 '2, 3'
	} > "$tmp/runs.jsonl"
	echo '{"kernel": "test", "cpus": 4, "vcpus_asked": 4, "host_cores": 16, "accel": "tcg", "erms": false}' > "$tmp/runs.jsonl.env"
	scripts/bench-report "$tmp/runs.jsonl" "$tmp/bench.json" > "$tmp/table" || return 1
	cat "$tmp/table"
	# two senders: 1.7 and 1.5 of one; one sender: 0.9 and 0.8
	[ "$(scaling "$tmp/bench.json" minitun 2 2)" = "1.6 1.5 1.7 False" ] || return 1
	[ "$(scaling "$tmp/bench.json" minitun 2 1)" = "0.85 0.8 0.9 False" ] || return 1
	grep -q '^minitun rx *64 bytes: 2 queues, 2 senders/one 1.600 (1.50-1.70)  met (>= 1.6)$' "$tmp/table" || return 1
	grep -q '^minitun rx *64 bytes: 2 queues/one 0.850 (0.80-0.90)  MISSED (>= 0.9)$' "$tmp/table" || return 1
	# with a vCPU for each thread, minitun >= tun holds on two queues too
	grep -q '^rx *64  2  2 .* 1.035 (0.94-1.13)  met (>= 1.0)$' "$tmp/table" || return 1
	grep -q '^not run: rx *64 bytes, 4 queues, 4 senders, batched and not, both drivers: needs 8 vCPUs, one for each thread; the guest has 4$' "$tmp/table" || return 1
	python3 -c '
import json, sys
report = json.load(open(sys.argv[1]))
assert [n["needs_cpus"] for n in report["not_run"]] == [8], report["not_run"]
assert all(r["mode"] == "rx" for r in report["rows"])' "$tmp/bench.json" || return 1

	# Now the two-sender rows' readers share CPU 2 in repeat 2.
	sed -i '/"senders": 2/s/"queue_cpus": \[2, 3\], \(.*"repeat": 2\)/"queue_cpus": [2, 2], \1/' "$tmp/runs.jsonl"
	scripts/bench-report "$tmp/runs.jsonl" "$tmp/bench.json" > "$tmp/table" || return 1
	cat "$tmp/table"
	[ "$(scaling "$tmp/bench.json" minitun 2 2)" = "1.6 1.5 1.7 True" ] || return 1
	grep -q '^minitun rx *64 bytes: 2 queues, 2 senders/one 1.600 (1.50-1.70)  (threads shared vCPUs)$' "$tmp/table" || return 1
	grep -q '^rx *64  2  2 .* 1.035 (0.94-1.13)  (threads shared vCPUs)$' "$tmp/table"
}

run_tests test_bench_report_pairs_runs_by_repeat \
	test_bench_report_scaling_and_not_run_rows
