#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# minitun trace, as a user runs it: minitun echo behind the device, a ping
# through it, the tracer attached meanwhile; then what it printed is checked
# against the path every packet must take and against the device's own
# counters. In the VM, with the module loaded.

. "$(dirname "$0")/lib.sh"

own_netns "$@"
cd "$(dirname "$0")/.." || exit 1

MINITUN=${MINITUN:-build/minitun}
STAGES='["copied","dequeued","enqueued","queued","woken","xmit"]'
# ping's default 56 data bytes, in ICMP in IPv4: the echo requests' skb->len
ECHO_LEN=84

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# A persistent tun-type device NAME made through NODE, addressed NET.1/24,
# with IPv6 off so that only the test's own packets cross it, and
# minitun echo behind it, given echo_opts. Extra arguments go to minitun up.
echo_opts=()
device_start() {
	local node=$1 name=$2 net=$3

	shift 3
	"$MINITUN" up --dev "$node" --name "$name" --addr "$net.1/24" --no-pi \
		--persist "$@" > /dev/null
	device=("--dev" "$node" "$name")
	sysctl -qw "net.ipv6.conf.$name.disable_ipv6=1"
	"$MINITUN" echo --dev "$node" -i "$name" "${echo_opts[@]}" > /dev/null &
	reader=$!
	# attached once the device has its carrier
	wait_for 10 has_carrier "$name"
}

# has_carrier NAME [NETNS]
has_carrier() {
	[ "$(${2:+ip netns exec "$2"} cat "/sys/class/net/$1/carrier" 2>/dev/null)" = 1 ]
}

device_stop() {
	kill -CONT "$reader" 2>/dev/null || true
	kill "$reader" 2>/dev/null || true
	wait "$reader" 2>/dev/null || true
	"$MINITUN" down "${device[@]}" > /dev/null
}

# Run the tracer in the background with ARGS; return once it is attached:
# it says so on stderr.
trace_start() {
	# not the last run's line: the redirection below is the child's
	: > "$work/err"
	"$MINITUN" trace "$@" > "$work/out" 2> "$work/err" &
	tracer=$!
	wait_for 20 tracer_attached && return 0
	cat "$work/err"
	return 1
}

# Attached, or gone: no use waiting for a tracer that has exited.
tracer_attached() {
	grep -q '^Tracing' "$work/err"
}

tracer_gone() {
	! kill -0 "$tracer" 2>/dev/null
}

# The running tracer's total NAME (read, dropped, consumed, ...), as its
# programs count it: its .bss, through bpftool.
traced() {
	bpftool -j map dump name trace_bp.bss 2>/dev/null |
		jq "[.. | objects | .counts? | objects][0].$1 // 0"
}

traced_at_least() {
	[ "$(traced "$1")" -ge "$2" ]
}

# wait_traced NAME N: until the tracer has counted N of NAME, or 20 s.
wait_traced() {
	wait_for 20 traced_at_least "$1" "$2" ||
		{ echo "the tracer counted $(traced "$1") $1, not $2"; return 1; }
}

trace_stop() {
	local rc=0

	kill -INT "$tracer" 2>/dev/null || true
	wait "$tracer" || rc=$?
	cat "$work/err"
	return $rc
}

# The records of the echo requests, one JSON object a line: the replies
# echo writes back have the same length, and go the other way.
echo_requests() {
	jq -c "select(.len == $ECHO_LEN and .direction == \"read\")" "$work/out"
}

# Each record has every stage, each no earlier than the one before, and was
# read; prints the offenders.
check_timelines() {
	jq -c --argjson all "$STAGES" 'select((.stages | keys) != $all or
		.fate != "read" or
		([.stages | .queued, .xmit, .enqueued, .woken, .dequeued, .copied] |
		 . != sort))'
}

# Ten pings to NET.2 through NAME, made through NODE, while the tracer runs
# with ARGS.
trace_pings() {
	local node=$1 name=$2 net=$3

	shift 3
	device_start "$node" "$name" "$net"
	trace_start "$@" -i "$name"
	ping -q -c 10 -i 0.2 -W 1 "$net.2"
	wait_traced read 10
	trace_stop
	device_stop
}

# Exactly the ten echo requests, each through every stage in order, each
# read by a read() of its own; no record lost and no packet's state evicted.
check_ten_requests() {
	local bad n batches missed

	echo_requests > "$work/requests"
	n=$(wc -l < "$work/requests")
	head -2 "$work/requests"
	echo "$n echo requests traced"
	bad=$(check_timelines < "$work/requests")
	[ -z "$bad" ] || { echo "out of order or missing a stage: $bad"; return 1; }
	batches=$(jq -sc 'map(.batch) | unique' "$work/requests")
	[ "$batches" = "[1]" ] || { echo "batch sizes $batches, not [1]"; return 1; }
	missed=$(jq -c 'select(.summary) | [.summary.lost, .summary.evicted]' "$work/out")
	[ "$missed" = "[0,0]" ] || { echo "records lost, states evicted: $missed"; return 1; }
	[ "$n" -eq 10 ]
}

test_ping_timeline() {
	local bad

	trace_pings /dev/minitun mtun0 10.77.0 --json
	check_ten_requests
	# what the text lines show, JSON has too: queue, ring, bytes copied
	bad=$(echo_requests | jq -c 'select(.queue != 0 or .bytes != 84 or
		.ring.capacity < 1 or .ring.occupancy < 1 or
		.ring.occupancy > .ring.capacity)')
	[ -z "$bad" ] || { echo "no queue, ring or bytes: $bad"; return 1; }
}

test_full_ring_drops_match_tx_dropped() {
	local stats=/sys/class/net/mtun0/statistics before after traced records

	device_start /dev/minitun mtun0 10.77.0 --txqlen 8
	kill -STOP "$reader"
	trace_start --json -i mtun0
	before=$(cat $stats/tx_dropped)
	ping -q -c 40 -l 40 -W 1 10.77.0.2 || true
	after=$(cat $stats/tx_dropped)
	wait_traced dropped $((after - before))
	trace_stop
	device_stop

	traced=$(jq 'select(.summary) | .summary.drops.FULL_RING // 0' "$work/out")
	# each with when it was dropped
	# each with when, and where: in the module
	records=$(jq -s 'map(select(.reason == "FULL_RING" and .dropped > 0 and
		.module == "minitun" and (.function | startswith("minitun_")))) |
		length' "$work/out")
	jq -c 'select(.fate == "dropped") | [.function, .module]' "$work/out" |
		sort | uniq -c
	echo "tx_dropped went up by $((after - before)); traced FULL_RING drops: $traced, records: $records"
	[ $((after - before)) -gt 0 ] && [ "$traced" -eq $((after - before)) ] &&
		[ "$records" -eq "$traced" ]
}

# --stack: under each drop, its kernel stack from the function that
# dropped it down, through the stack's transmit path; in text, a frame a
# line under the drop's line.
test_drop_stack() {
	local drops frames

	device_start /dev/minitun mtun0 10.77.0 --txqlen 8
	kill -STOP "$reader"
	trace_start --json --stack -i mtun0
	ping -q -c 20 -l 20 -W 1 10.77.0.2 > /dev/null || true
	wait_traced dropped 1
	trace_stop
	mv "$work/out" "$work/json"
	trace_start --stack -i mtun0
	ping -q -c 20 -l 20 -W 1 10.77.0.2 > /dev/null || true
	wait_traced dropped 1
	trace_stop
	device_stop

	drops=$(jq -c 'select(.fate == "dropped") |
		[.function == (.stack[0] | split("+")[0]),
		 any(.stack[]; startswith("__dev_queue_xmit+"))]' "$work/json" |
		sort | uniq -c)
	grep -A 3 -m 1 'dropped at' "$work/out"
	frames=$(grep -A 1 'dropped at' "$work/out" | grep -c '^    minitun_[a-z_]*+0x[0-9a-f]* \[minitun\]$' || true)
	echo "drops by [first frame is the dropping function, __dev_queue_xmit below]: $drops"
	echo "$frames text drops followed by their dropping frame, of $(grep -c 'dropped at' "$work/out")"
	[ -n "$drops" ] && [ "$(awk '{ print $2 }' <<< "$drops")" = '[true,true]' ] &&
		[ "$frames" -gt 0 ] &&
		[ "$frames" = "$(grep -c 'dropped at' "$work/out")" ]
}

# The same drops in text mode: each a line of its own that ends with the
# reason, as many as the summary counts.
test_text_drop_lines() {
	local lines bad dropped

	device_start /dev/minitun mtun0 10.77.0 --txqlen 8
	kill -STOP "$reader"
	trace_start -i mtun0
	ping -q -c 40 -l 40 -W 1 10.77.0.2 > /dev/null || true
	wait_traced dropped 1
	trace_stop
	device_stop

	grep 'dropped at' "$work/out" | head -3
	lines=$(grep -c 'dropped at' "$work/out" || true)
	bad=$(grep 'dropped at' "$work/out" |
	      grep -Evc '^[0-9a-f]+ +[0-9]+ .* dropped at +[0-9]+\.[0-9] by minitun_[a-z_]+ \[minitun\]: FULL_RING$' || true)
	dropped=$(sed -n 's/^mtun0: .* packets read, \([0-9]*\) dropped,.*/\1/p' "$work/out")
	echo "$lines drop lines, $bad malformed; the summary says ${dropped:-nothing} dropped"
	[ "$lines" -gt 0 ] && [ "$bad" -eq 0 ] && [ "$lines" = "$dropped" ]
}

# Twelve requests queued while the batched reader is stopped leave in one
# read(): each record says so on its copied stage.
test_batch_on_copied_stage() {
	local n batches

	echo_opts=(--batch 16)
	device_start /dev/minitun mtun0 10.77.0
	echo_opts=()
	kill -STOP "$reader"
	trace_start --json -i mtun0
	ping -q -c 12 -l 12 -W 1 10.77.0.2 > /dev/null || true
	kill -CONT "$reader"
	wait_traced read 12
	trace_stop
	device_stop

	echo_requests > "$work/requests"
	n=$(wc -l < "$work/requests")
	batches=$(jq -sc 'map(.batch) | unique' "$work/requests")
	echo "$n echo requests traced, batch sizes $batches"
	[ "$n" -eq 12 ] && [ "$batches" = "[12]" ]
}

# The kernel takes '"', '\' and control bytes in an interface name: every
# line is still JSON, and each names the interface as it is.
test_json_odd_ifname() {
	local name=$'m"t\x01\\0' lines named

	trace_pings /dev/minitun "$name" 10.79.0 --json
	lines=$(wc -l < "$work/out")
	named=$(jq -r --arg n "$name" 'select((.ifname // .summary.ifname) == $n and
		.direction != "write") | .len // "summary"' "$work/out" |
		sort | uniq -c | tr -s ' \n' ' ')
	echo "$lines lines; naming the interface as it is:$named"
	[ "$(jq -s length "$work/out")" -eq "$lines" ] &&
		[ "$(echo "$named" | grep -o '[0-9]* 84')" = "10 84" ] &&
		[ "$(echo "$named" | grep -o '[0-9]* summary')" = "1 summary" ]
}

# N as the 8 bytes of a little-endian __u64, in hex, space-separated.
le64() {
	printf '%016x' "$1" | sed 's/../& /g' | tr ' ' '\n' | tac | xargs
}

# Run raw tracepoint program ID once with the __u64 arguments that follow
# (BPF_PROG_TEST_RUN; bpftool's prog run asks for what raw_tp refuses).
raw_tp_run() {
	python3 - "$@" <<'EOF'
import ctypes, struct, sys

libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
SYS_bpf, BPF_PROG_TEST_RUN, BPF_PROG_GET_FD_BY_ID = 321, 10, 13

def bpf(cmd, attr):
    buf = ctypes.create_string_buffer(attr, 128)
    ret = libc.syscall(SYS_bpf, cmd, buf, 128)
    if ret < 0:
        sys.exit("bpf(%d): %s" % (cmd, ctypes.get_errno()))
    return ret, buf

fd, _ = bpf(BPF_PROG_GET_FD_BY_ID, struct.pack("I", int(sys.argv[1])))
args = struct.pack("%dQ" % (len(sys.argv) - 2), *(int(a, 0) for a in sys.argv[2:]))
ctx = ctypes.create_string_buffer(args, len(args))
# prog_fd, retval, data sizes, data ptrs, repeat, duration, ctx_size_in
attr = struct.pack("IIIIQQIII", fd, 0, 0, 0, 0, 0, 0, 0, len(args)) + \
       struct.pack("=IQ", 0, ctypes.addressof(ctx))
bpf(BPF_PROG_TEST_RUN, attr)
EOF
}

# No packet on mtun0 is dropped with a reason past the kernel's enum, or a
# subsystem's (the high 16 bits): the tracer's own kfree_skb program is
# run on made-up drops of a packet it is made to think it follows. Each
# reason gets its own count, a name when the kernel's BTF has one, and
# never another reason's.
test_drop_reasons_whole() {
	local skb=0xffff888800000000 prog map size reason drops want
	local vmlinux=/sys/kernel/btf/vmlinux ovs=/sys/kernel/btf/openvswitch
	local not_specified ovs_last=

	# numbers differ between kernels: ask this one's BTF
	not_specified=$(bpftool btf dump file $vmlinux |
		sed -n "s/.*'SKB_DROP_REASON_NOT_SPECIFIED' val=\([0-9]*\)$/\1/p")
	want="{\"NOT_SPECIFIED\":2,\"128\":1,\"200\":1,\"0x10001\":1,\"0x20005\":1"
	# a subsystem's reason, named by its module's BTF (6.5 on)
	if modprobe -q openvswitch 2>/dev/null && [ -r $ovs ]; then
		ovs_last=$(bpftool -B $vmlinux btf dump file $ovs |
			sed -n "s/.*'OVS_DROP_LAST_ACTION' val=\([0-9]*\)$/\1/p")
	fi
	[ -z "$ovs_last" ] || want+=",\"OVS_DROP_LAST_ACTION\":1"
	want+="}"

	device_start /dev/minitun mtun0 10.77.0
	trace_start --summary --json -i mtun0
	prog=$(bpftool -j prog show name kfree_skb | jq '.id')
	map=$(bpftool -j map show name flights | jq '.id')
	size=$(bpftool -j map show id "$map" | jq '.bytes_value')
	for reason in "$not_specified" "$not_specified" 128 200 0x10001 \
		      0x20005 $ovs_last; do
		# the skb's address hashes to the first set: its low half is 0
		bpftool map update id "$map" key hex 00 00 00 00 value hex \
			$(le64 $skb) $(printf '00 %.0s' $(seq $((size - 8))))
		raw_tp_run "$prog" $skb 0 "$reason"
	done
	trace_stop
	device_stop

	drops=$(jq -c 'select(.summary) | .summary.drops' "$work/out")
	echo "traced drops: $drops"
	echo "expected:     $want"
	jq -e --argjson w "$want" '. == $w' <<< "$drops" > /dev/null
}

# Each histogram title followed by at least one bucket with a count.
# The tracer with ARGS, through a flood of pings on CPU 0 that it may use
# only when idle, so that packets keep completing while it ends.
trace_flood() {
	local i pids=()

	trace_start "$@"
	taskset -pc 0 "$tracer" > /dev/null
	chrt -i -p 0 "$tracer"
	for i in 1 2 3 4; do
		taskset -c 0 ping -q -f -l 8 -w 2 10.77.0.2 > /dev/null &
		pids+=($!)
	done
	# stopped while the flood runs, once it has seen a good part of it
	wait_traced read 200
	trace_stop > /dev/null
	wait "${pids[@]}" || true
}

# Stopped in the middle of a flood, the tracer's totals, its records and
# its histograms tell of the same packets: it stops its probes before it
# reads any of them.
test_totals_match_under_load() {
	local records totals read sampled try

	device_start /dev/minitun mtun0 10.77.0
	for try in 1 2 3; do
		trace_flood --json -i mtun0
		# both directions: echo's replies too
		records=$(jq -s 'map(select(.fate)) | length' "$work/out")
		totals=$(jq 'select(.summary) | .summary |
			.read + .dropped + .consumed + .written_dropped - .lost' \
			"$work/out")
		trace_flood --hist -i mtun0
		read=$(sed -n 's/^mtun0: \([0-9]*\) packets read.*/\1/p' "$work/out")
		sampled=$(awk '/^dequeued -> copied/ { on = 1; next }
			       on && /^$/ { exit }
			       on && / -> .* : / { n += $5 }
			       END { print n + 0 }' "$work/out")
		echo "$records records, read + dropped - lost $totals; $read read, $sampled in a histogram"
		[ "$records" -eq "$totals" ] && [ "$read" -eq "$sampled" ] || break
	done
	device_stop
	[ "$records" -gt 0 ] && [ "$records" -eq "$totals" ] &&
		[ "$read" -gt 0 ] && [ "$read" -eq "$sampled" ]
}

# A TCP segment of 4000 bytes sent with GSO to NAME, as bulk TCP sends
# (through a packet socket with a virtio_net_hdr: nothing answers TCP).
send_gso() {
	python3 - "$1" <<'EOF'
import socket, struct, sys

payload = b"x" * 4000
tcp = struct.pack("!HHIIBBHHH", 12345, 9, 1, 0, 5 << 4, 0x18, 65535, 0, 0)
ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp) + len(payload), 0,
                 0x4000, 64, socket.IPPROTO_TCP, 0,
                 socket.inet_aton("10.77.0.1"), socket.inet_aton("10.77.0.2"))
# NEEDS_CSUM, GSO_TCPV4, header length, gso_size, csum_start, csum_offset
vnet = struct.pack("<BBHHHH", 1, 1, 40, 1000, 20, 16)
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0800))
s.setsockopt(263, 15, 1)	# SOL_PACKET, PACKET_VNET_HDR
s.sendto(vnet + ip + tcp + payload, (sys.argv[1], 0x0800))
EOF
}

# minitun does not offload, so the stack cuts a GSO packet up before the
# driver, and the four segments are first seen there, with no queued
# stamp. The end-to-end histogram cannot hold them; the summary says how
# many it left out, so that the two add up to the reads.
test_gso_segments_reported_apart() {
	local read sampled apart

	device_start /dev/minitun mtun0 10.77.0
	trace_start --hist -i mtun0
	send_gso mtun0
	wait_traced read 4
	trace_stop > /dev/null
	device_stop

	read=$(sed -n 's/^mtun0: \([0-9]*\) packets read.*/\1/p' "$work/out")
	sampled=$(awk '/^queued -> copied/ { on = 1; next }
		       on && /^$/ { exit }
		       on && / -> .* : / { n += $5 }
		       END { print n + 0 }' "$work/out")
	apart=$(sed -n 's/.*; \([0-9]*\) of them first seen at the driver.*/\1/p' "$work/out")
	tail -3 "$work/out"
	echo "$read read, $sampled in the end-to-end histogram, ${apart:-none} said apart"
	[ "$apart" = 4 ] && [ $((sampled + apart)) -eq "$read" ]
}

test_hist_not_empty() {
	local title missing=0

	trace_pings /dev/minitun mtun0 10.77.0 --hist
	cat "$work/out"
	for title in 'queued -> enqueued' 'enqueued -> woken' \
		     'woken -> dequeued' 'dequeued -> copied' 'queued -> copied'; do
		awk -v t="$title" 'index($0, t) == 1 { on = 1; next }
				   on && /^$/ { exit }
				   on && / -> .* : [1-9]/ { found = 1 }
				   END { exit !found }' "$work/out" ||
			{ echo "no samples under '$title'"; missing=1; }
	done
	[ $missing -eq 0 ]
}

# mtun0 again, echoed, in namespace mtother, with mtun0's ifindex there.
other_start() {
	local index i

	index=$(cat /sys/class/net/mtun0/ifindex)
	ip netns add mtother
	# a new namespace numbers from 1 (its lo, then any tunnel device a
	# built-in driver adds to every namespace): pad up to the index
	i=0
	while [ "$(ip -n mtother -o link show | awk -F: 'END { print $1 }')" -lt $((index - 1)) ]; do
		i=$((i + 1))
		ip -n mtother link add "pad$i" type dummy
	done
	ip netns exec mtother "$MINITUN" up --name mtun0 --addr 10.77.0.1/24 \
		--no-pi --persist > /dev/null
	ip netns exec mtother sysctl -qw net.ipv6.conf.mtun0.disable_ipv6=1
	ip netns exec mtother "$MINITUN" echo -i mtun0 > /dev/null &
	other_reader=$!
	wait_for 10 has_carrier mtun0 mtother
	[ "$(ip netns exec mtother cat /sys/class/net/mtun0/ifindex)" = "$index" ]
}

other_stop() {
	kill "$other_reader" 2>/dev/null || true
	wait "$other_reader" 2>/dev/null || true
	ip netns exec mtother "$MINITUN" down mtun0 > /dev/null
	ip netns del mtother
}

# Ten pings through this namespace's mtun0, four through mtother's, the
# same ifindex, while the tracer runs with ARGS and should see WANT: how
# many it saw.
trace_both_namespaces() {
	local want=$1

	shift
	trace_start --json -i mtun0 "$@"
	ping -q -c 10 -i 0.2 -W 1 10.77.0.2 > /dev/null
	ip netns exec mtother ping -q -c 4 -i 0.2 -W 1 10.77.0.2 > /dev/null
	wait_traced read "$want" >&2
	trace_stop >&2
	echo_requests | wc -l
}

# An ifindex names an interface only within its namespace: the tracer
# follows the one in its own, or the one --netns names.
test_netns_same_ifindex() {
	local here there

	device_start /dev/minitun mtun0 10.77.0
	other_start
	here=$(trace_both_namespaces 10)
	there=$(trace_both_namespaces 4 --netns mtother)
	other_stop
	device_stop

	echo "traced $here echo requests here (of 10), $there with --netns mtother (of 4)"
	[ "$here" -eq 10 ] && [ "$there" -eq 4 ]
}

# -T: each packet with the wall-clock time it was first seen, which was
# while the pings ran.
test_timestamps() {
	local start end n bad

	start=$(date +%s%N)
	trace_pings /dev/minitun mtun0 10.77.0 --json -T
	end=$(date +%s%N)
	n=$(echo_requests | wc -l)
	bad=$(echo_requests | jq -c --argjson s "$start" --argjson e "$end" \
		'select((.time // 0) < $s or .time > $e)')
	echo "$n echo requests, out of [$start, $end]: ${bad:-none}"
	[ "$n" -eq 10 ] && [ -z "$bad" ]
}

# --hist --json: the same histograms, in the summary object, each with
# every packet read.
test_hist_json() {
	local sums read

	trace_pings /dev/minitun mtun0 10.77.0 --hist --json
	read=$(jq 'select(.summary) | .summary.read' "$work/out")
	sums=$(jq -c 'select(.summary) | .summary.hist |
		map_values(map(.count) | add)' "$work/out")
	echo "$read read; histograms: $sums"
	# --hist does not count the driver's calls: no "xmits": 0
	jq -e 'select(.summary) | .summary | has("xmits") | not' "$work/out" ||
		{ echo "xmits in the summary, not measured"; return 1; }
	[ "$read" -ge 10 ] &&
		jq -e --argjson n "$read" 'all(.[]; . == $n)' <<< "$sums" > /dev/null
}

# Through NAME, made through NODE, addressed NET.1, while the tracer runs
# with ARGS and the filter 'udp port 53': ten pings, five datagrams to
# port 53 and three to port 54. It follows the five only, gives each its
# 5-tuple, and counts only them.
trace_filter() {
	local node=$1 name=$2 net=$3 tuples want read

	shift 3
	device_start "$node" "$name" "$net"
	trace_start --json -i "$name" "$@" udp port 53
	ping -q -c 10 -i 0.05 -W 1 "$net.2" > /dev/null
	send_udp "$net.2" 53 5
	send_udp "$net.2" 54 3
	wait_traced read 5
	trace_stop
	device_stop

	# the read direction's: echo's answers come back from port 53 too
	tuples=$(jq -c 'select(.fate and .direction == "read") |
		[.src, .dst, .proto, .dport, (.sport > 0)]' \
		"$work/out" | sort | uniq -c | tr -s ' ')
	want=" 5 [\"$net.1\",\"$net.2\",\"udp\",53,true]"
	read=$(jq -c 'select(.summary) | .summary |
		[.filter, .read, .dropped, has("xmits")]' "$work/out")
	echo "records:$tuples"
	echo "summary [filter, read, dropped, xmits counted]: $read"
	[ "$tuples" = "$want" ] && [ "$read" = '["udp port 53",5,0,false]' ]
}

test_filter_minitun() {
	trace_filter /dev/minitun mtun0 10.77.0
}

test_filter_tun() {
	modprobe tun || skip "the tun module cannot be loaded"
	trace_filter /dev/net/tun tun0 10.78.0 --driver tun
}

# Every packet's 5-tuple in JSON, ICMP's without ports; and a filter that
# matches nothing traced leaves nothing and counts nothing.
test_filter_tuple_and_no_match() {
	local tuples read

	device_start /dev/minitun mtun0 10.77.0
	trace_start --json -i mtun0
	ping -q -c 2 -i 0.05 -W 1 10.77.0.2 > /dev/null
	send_udp 10.77.0.2 7 1
	wait_traced read 3
	trace_stop
	# the echoed datagram finds no socket: an ICMP error goes out too
	tuples=$(jq -c 'select(.fate and .direction == "read" and
		(.proto != "icmp" or .len == 84)) |
		[.src, .dst, .proto, .sport, .dport]' "$work/out" |
		sort | uniq -c | tr -s ' ')
	trace_start --json -i mtun0 tcp
	ping -q -c 2 -i 0.05 -W 1 10.77.0.2 > /dev/null
	send_udp 10.77.0.2 7 1
	# nothing to wait for: the pings' replies say the requests were read
	trace_stop
	device_stop
	read=$(jq -c 'select(.summary) | .summary.read' "$work/out")
	echo "unfiltered:$tuples"
	echo "with 'tcp': $(wc -l < "$work/out") lines, $read read"
	grep -q '^ 2 \["10.77.0.1","10.77.0.2","icmp",null,null\]$' <<< "$tuples" &&
		grep -Eq '^ 1 \["10.77.0.1","10.77.0.2","udp",[0-9]+,7\]$' <<< "$tuples" &&
		[ "$read" = 0 ] && [ "$(wc -l < "$work/out")" = 1 ]
}

# A filter pcap cannot compile: pcap's own words, and how to fix it,
# before anything is loaded; a usage error.
test_filter_bad_expression() {
	local out rc=0

	out=$("$MINITUN" trace -i mtun0 udp prot 53 2>&1) || rc=$?
	echo "$out"
	echo "exit status $rc"
	[ $rc -eq 2 ] && grep -q "bad filter 'udp prot 53': .*syntax error" <<< "$out" &&
		grep -q "pcap-filter(7)" <<< "$out"
}

# COUNT datagrams from a socket bound to 10.77.0.1 to 10.77.0.2:9, and
# echo's COUNT answers read back from it.
udp_round_trips() {
	python3 - "$1" <<'EOF'
import socket, sys
n = int(sys.argv[1])
with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
    s.bind(("10.77.0.1", 0))
    s.settimeout(5)
    for _ in range(n):
        s.sendto(b"minitun", ("10.77.0.2", 9))
        s.recv(64)
EOF
}

# The write direction: each of echo's answers injected by minitun, taken
# by the stack (received), then consumed by the socket's reader, in that
# order; the answer to a datagram from a port nobody listens on, dropped
# by the stack, with where and why.
test_write_direction() {
	local answers drop totals

	device_start /dev/minitun mtun0 10.77.0
	trace_start --json --writes -i mtun0
	udp_round_trips 10
	send_udp 10.77.0.2 7 1
	wait_traced written_dropped 1
	trace_stop
	device_stop

	jq -c 'select(.direction == "write")' "$work/out" | head -2
	answers=$(jq -s 'map(select(.direction == "write" and
		.src == "10.77.0.2" and .sport == 9 and .proto == "udp" and
		.fate == "consumed" and .stages.injected == 0 and
		.stages.received >= 0 and .consumed >= .stages.received)) |
		length' "$work/out")
	drop=$(jq -c 'select(.direction == "write" and .fate == "dropped") |
		[.proto, .sport, .reason != null, .function != null]' "$work/out")
	totals=$(jq -c 'select(.summary) | .summary |
		[.written, .consumed, .written_dropped, .written_unended]' \
		"$work/out")
	echo "$answers answers injected, received, consumed; dropped: $drop; [written, consumed, dropped, unended]: $totals"
	[ "$answers" -eq 10 ] && [ "$drop" = '["udp",7,true,true]' ] &&
		[ "$totals" = "[11,10,1,0]" ]
}

# The same in text: a line of its own for each written packet.
test_write_direction_text() {
	local lines

	device_start /dev/minitun mtun0 10.77.0
	trace_start --writes -i mtun0
	udp_round_trips 3
	wait_traced consumed 3
	trace_stop
	device_stop

	grep 'written' "$work/out" | head -4
	lines=$(grep -Ec '^[0-9a-f]+ +35 written: injected 0\.0, received [0-9]+\.[0-9], consumed at [0-9]+\.[0-9]$' \
		"$work/out" || true)
	grep -q '; 3 written up the stack: 3 consumed, 0 dropped$' "$work/out" &&
		[ "$lines" -eq 3 ]
}

# --hist 1 3, as runqlat takes it: three intervals' histograms, a second
# apart, then it ends by itself.
test_hist_interval() {
	local intervals read

	device_start /dev/minitun mtun0 10.77.0
	trace_start --hist --json -i mtun0 1 3
	ping -q -c 10 -i 0.1 -W 1 10.77.0.2 > /dev/null
	wait_for 20 tracer_gone || { echo "still running after 20 s"; return 1; }
	trace_stop
	device_stop

	cat "$work/out"
	intervals=$(jq -sc 'map(.summary | [.interval, .seconds, has("hist")])' \
		"$work/out")
	read=$(jq -s 'map(.summary.read) | add' "$work/out")
	echo "intervals: $intervals; $read read in all"
	[ "$intervals" = '[[1,1,true],[2,1,true],[3,1,true]]' ] && [ "$read" -gt 0 ]
}

# On tun, with fentry where tun has BTF (its module's, or vmlinux's when
# built in), kprobes where it has none.
test_tun_driver_same_stages() {
	local want=kprobes

	modprobe tun || skip "the tun module cannot be loaded"
	if [ -e /sys/kernel/btf/tun ] || [ ! -e /sys/module/tun/initstate ]; then
		want=fentry
	fi
	trace_pings /dev/net/tun tun0 10.78.0 --json --driver tun -v > /dev/null
	grep "^tun's probes: " "$work/err"
	grep -q "^tun's probes: $want " "$work/err" || { echo "not $want"; return 1; }
	check_ten_requests
}

test_refuses_clearly() {
	local out

	out=$(setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$MINITUN" trace -i lo 2>&1) && return 1
	echo "$out"
	grep -q 'needs CAP_BPF and CAP_PERFMON, or CAP_SYS_ADMIN' <<< "$out"

	# root without the capabilities is refused as clearly
	out=$(setpriv --bounding-set=-all --inh-caps=-all \
		"$MINITUN" trace -i lo 2>&1) && return 1
	echo "$out"
	grep -q 'needs CAP_BPF and CAP_PERFMON, or CAP_SYS_ADMIN' <<< "$out"

	out=$("$MINITUN" trace -i nosuch0 2>&1) && return 1
	echo "$out"
	grep -q 'no interface nosuch0' <<< "$out"

	out=$("$MINITUN" trace -i lo 2>&1) && return 1
	echo "$out"
	grep -q 'lo is not a minitun device' <<< "$out"
}

module_unused() {
	[ "$(cat "/sys/module/$1/refcnt")" = 0 ]
}

# Last: it takes the module out and puts it back.
test_rmmod_after_trace() {
	local out

	device_start /dev/minitun mtun0 10.77.0
	trace_start -i mtun0
	trace_stop
	device_stop

	# the tracer's hold on the module goes with its programs, after RCU
	wait_for 20 module_unused minitun || { echo "minitun still in use"; return 1; }
	rmmod minitun
	out=$("$MINITUN" trace -i mtun0 2>&1) && return 1
	echo "$out"
	insmod "${vm_load:-kmod/minitun.ko}"
	grep -q 'module is not loaded' <<< "$out"
}

require_built "$MINITUN"
require_cmd jq bpftool

run_tests test_ping_timeline \
	test_full_ring_drops_match_tx_dropped \
	test_text_drop_lines \
	test_drop_stack \
	test_batch_on_copied_stage \
	test_json_odd_ifname \
	test_drop_reasons_whole \
	test_totals_match_under_load \
	test_gso_segments_reported_apart \
	test_hist_not_empty \
	test_hist_json \
	test_timestamps \
	test_netns_same_ifindex \
	test_tun_driver_same_stages \
	test_write_direction \
	test_write_direction_text \
	test_hist_interval \
	test_filter_minitun \
	test_filter_tun \
	test_filter_tuple_and_no_match \
	test_filter_bad_expression \
	test_refuses_clearly \
	test_rmmod_after_trace
