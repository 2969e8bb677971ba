#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# minitun bench's own arithmetic, briefly, on both drivers: what it counted
# is what the device counted, and no figure it reports is zero. The real
# measurement is make bench's, not a test's.

. "$(dirname "$0")/lib.sh"

own_netns "$@"
cd "$(dirname "$0")/.." || exit 1

minitun=build/minitun
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# A JSON number by name, from bench's one-line object.
field() {
	sed -n "s/.*\"$2\": \\([0-9.]*\\).*/\\1/p" <<< "$1"
}

# One of bench's objects: what it counted is what the device counted, and
# no figure is zero.
check_object() {
	local out=$1 counted dev
	echo "$out"
	counted=$(field "$out" counted)
	dev=$(field "$out" dev_packets)
	# rx and lat count reads (tx_packets), tx counts writes (rx_packets)
	[ "$counted" = "$dev" ] || { echo "counted $counted, device says $dev"; return 1; }
	for f in packets pps bps; do
		[ "$(field "$out" $f)" != 0 ] || { echo "$f is zero"; return 1; }
	done
	if [[ $out == *'"mode": "lat"'* ]]; then
		for f in p50_ns p99_ns max_ns; do
			[ "$(field "$out" $f)" != 0 ] || { echo "$f is zero"; return 1; }
		done
	fi
}

check_run() {
	local out
	out=$("$minitun" bench --json --seconds 1 "$@") || return 1
	check_object "$out"
}

for_both() {
	local node
	modprobe tun
	for node in /dev/net/tun /dev/minitun; do
		check_run --dev $node "$@" || return 1
	done
}

test_rx_counts_what_the_readers_read() { for_both --mode rx; }
test_rx_two_queues() { for_both --mode rx --queues 2; }
test_tx_counts_what_the_writers_wrote() { for_both --mode tx; }
test_lat_times_every_round_trip() { for_both --mode lat; }
test_batched_rx_and_tx() {
	check_run --mode rx --batch 8 && check_run --mode tx --batch 8
}
# --against: one object for each driver, each checked as alone, and the
# round trips taken in turn, so that neither got more than one more.
test_lat_against_times_both_drivers_in_turn() {
	local out ours theirs more
	modprobe tun
	out=$("$minitun" bench --json --seconds 1 --mode lat --against /dev/net/tun) || return 1
	ours=$(grep '"dev": "minitun"' <<< "$out")
	theirs=$(grep '"dev": "tun"' <<< "$out")
	[ "$(wc -l <<< "$out")" = 2 ] || { echo "$out"; echo "not two objects"; return 1; }
	check_object "$ours" || return 1
	check_object "$theirs" || return 1
	more=$(($(field "$ours" counted) - $(field "$theirs" counted)))
	if [ "${more#-}" -gt 1 ]; then
		echo "minitun had $more round trips more than tun"
		return 1
	fi
}
test_against_refused_for_rx() {
	local err rc=0
	err=$("$minitun" bench --mode rx --against /dev/net/tun --seconds 1 2>&1) || rc=$?
	echo "$err"
	[ $rc = 2 ] && grep -q -- "--against is for lat" <<< "$err"
}

# Wait for bench's device NAME to be up.
wait_up() {
	local i

	for i in $(seq 600); do
		ip link show "$1" 2>/dev/null | grep -q '[<,]UP[,>]' && return 0
		sleep 0.05
	done
	echo "$1 never came up"
	return 1
}

# Taken down under a tx run, the device refuses every write: bench says
# so, in words, and stops at once, though nothing reaches its sink. The run
# asks for a minute, so that a slow machine cannot end it first.
test_tx_device_down_ends_in_time() {
	local err rc=0 pid down

	timeout -s KILL 90 "$minitun" bench --mode tx --seconds 60 \
		--name mtbdown0 2> "$work/err" > /dev/null &
	pid=$!
	wait_up mtbdown0
	ip link set mtbdown0 down
	down=$SECONDS
	wait $pid || rc=$?
	err=$(cat "$work/err")
	echo "$err"
	echo "exit status $rc, $((SECONDS - down)) s after the device went down"
	[ $rc = 1 ] && grep -q "the interface is down" <<< "$err" &&
		[ $((SECONDS - down)) -lt 10 ]
}

# With its address gone, the stack takes the device's packets no more and
# nothing reaches the sink: the run still ends when --seconds says.
test_tx_nothing_delivered_ends_in_time() {
	local rc=0 pid start

	start=$(date +%s)
	timeout -s KILL 20 "$minitun" bench --mode tx --seconds 2 \
		--name mtbsink0 > /dev/null &
	pid=$!
	wait_up mtbsink0
	ip addr flush dev mtbsink0
	wait $pid || rc=$?
	echo "exit status $rc after $(($(date +%s) - start)) s"
	[ $rc = 0 ]
}

# A reply later than lat's timeout (here 1.5 s of netem delay) is not a
# round trip: neither its own, nor the next one's.
test_lat_late_reply_not_counted() {
	local out pid

	require_module sch_netem
	"$minitun" bench --mode lat --json --seconds 6 --name mtblate0 \
		> "$work/out" &
	pid=$!
	wait_up mtblate0
	tc qdisc add dev mtblate0 root netem delay 1500ms
	wait $pid
	out=$(cat "$work/out")
	echo "$out"
	[ "$(field "$out" max_ns)" -lt 1000000000 ]
}

# The sum of a JSON array of numbers, by name, from bench's object.
sum() {
	local list
	list=$(sed -n "s/.*\"$2\": \\[\\([0-9, ]*\\)\\].*/\\1/p" <<< "$1")
	echo $((${list//, /+}))
}

# --senders: what the senders offered, each and in all, is what the queues
# were offered, and what the readers read is what the device sent; the
# device's own count of what it sent and dropped is what the senders
# offered, but for what the rings (and tun's qdisc) still held at the end,
# so nothing was counted twice; and each thread is where it was placed.
check_senders() {
	local out offered dev drops left hold cpus placed q ncpus
	out=$("$minitun" bench --json --seconds 1 --mode rx --senders 2 --queues 2 "$@") || return 1
	check_object "$out" || return 1
	offered=$(field "$out" offered)
	[ "$(sum "$out" offered_per_sender)" = "$offered" ] ||
		{ echo "senders offered $(sum "$out" offered_per_sender), in all $offered"; return 1; }
	[ $(($(sum "$out" offered_per_queue) + $(field "$out" offered_unplaced))) = "$offered" ] ||
		{ echo "queues were offered $(sum "$out" offered_per_queue), in all $offered"; return 1; }
	[ "$(sum "$out" per_queue)" = "$(field "$out" packets)" ] ||
		{ echo "queues delivered $(sum "$out" per_queue), in all $(field "$out" packets)"; return 1; }
	grep -q '"offered_per_sender": \[[1-9][0-9]*, [1-9][0-9]*\]' <<< "$out" ||
		{ echo "a sender offered nothing"; return 1; }
	dev=$(field "$out" dev_packets)
	drops=$(field "$out" drops)
	left=$((offered - dev - drops))
	hold=$((2 * 2 * 500))	# two queues, a ring and a qdisc of 500 each
	if [ $left -lt 0 ] || [ $left -gt $hold ]; then
		echo "offered $offered, the device sent $dev and dropped $drops"
		return 1
	fi
	# senders on CPUs 0 and 1, the readers on the next, wrapping
	ncpus=$(nproc)
	placed=
	for q in 0 1; do
		if [ "$ncpus" -gt 2 ]; then
			placed+="${placed:+, }$((2 + q % (ncpus - 2)))"
		else
			placed+="${placed:+, }$(((2 + q) % ncpus))"
		fi
	done
	cpus='"sender_cpus": [0, 1], "queue_cpus": ['"$placed"']'
	[[ $out == *"$cpus"* ]] || { echo "not placed as $cpus"; return 1; }
}

test_rx_senders_add_up() {
	local node
	modprobe tun
	for node in /dev/net/tun /dev/minitun; do
		check_senders --dev $node || return 1
	done
	check_senders --batch 8
}
test_senders_refused_for_tx_and_lat() {
	local err mode rc
	for mode in tx lat; do
		rc=0
		err=$("$minitun" bench --mode $mode --senders 2 --seconds 1 2>&1) || rc=$?
		echo "$err"
		[ $rc = 2 ] && grep -q -- "--senders is for rx" <<< "$err" || return 1
	done
}
test_batch_refused_on_tun() {
	local err rc=0
	modprobe tun
	err=$("$minitun" bench --dev /dev/net/tun --mode rx --batch 8 --seconds 1 2>&1) || rc=$?
	echo "$err"
	[ $rc = 1 ] && grep -q "batching is minitun's own" <<< "$err"
}

run_tests test_rx_counts_what_the_readers_read test_rx_two_queues \
	test_tx_counts_what_the_writers_wrote test_lat_times_every_round_trip \
	test_lat_against_times_both_drivers_in_turn test_against_refused_for_rx \
	test_batched_rx_and_tx test_batch_refused_on_tun \
	test_rx_senders_add_up test_senders_refused_for_tx_and_lat \
	test_tx_device_down_ends_in_time test_tx_nothing_delivered_ends_in_time \
	test_lat_late_reply_not_counted
