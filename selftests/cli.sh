#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The minitun command (build/minitun), as a user runs it. Each test of the
# command's behaviour runs twice, on /dev/minitun (NAME_minitun) and on the
# real tun driver's /dev/net/tun (NAME_tun), with the same expectations, so
# that a difference between the drivers shows as a failure of one of them:
#
#   up, down      every option, checked in sysfs and with ip; persistent
#                 devices and devices that last while the command runs
#   read          the decode of ICMP, UDP, TCP, ARP (TAP) and IPv6 packets,
#                 the pcap read back by tcpdump -r, hex dumps, --count, the
#                 three ways to wait, several queues
#   echo          ping -c 20 and ping -6 through TUN and TAP devices with 0%
#                 loss, UDP echoed, what it says it answered
#   errors        bad arguments (exit 2), runtime failures (exit 1), each
#                 with the documented message; the module not loaded
#   --batch       read and echo in minitun's batched mode (minitun only):
#                 the same lines, pcap and pings; refused on tun
#
# In the VM, with the module loaded; it loads tun for the comparison.

. "$(dirname "$0")/lib.sh"
cd "$(dirname "$0")/.." || exit 1
own_netns "$@"

MINITUN=${MINITUN:-build/minitun}
MINITUN_KO=${MINITUN_KO:-kmod/minitun.ko}
IF=mtcli0		# the device under test, on either driver
IFF_TUN=0x0001
IFF_TAP=0x0002
IFF_MULTI_QUEUE=0x0100
IFF_NO_PI=0x1000
PINGS=20
WAIT_S=20		# for a background command to get ready or to end

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
: > "$work/pids"

# The node under test, and the other driver's: set by the NAME_minitun and
# NAME_tun wrappers at the bottom; batch, by the NAME_batched ones.
batch=()
node=/dev/minitun
driver=minitun
other_node=/dev/net/tun
other_driver=tun

mt() {
	"$MINITUN" "$@"
}

fail() {
	echo "FAIL: $*"
	return 1
}

# Stop what the test started and remove its devices, whatever happened.
teardown() {
	local pid dev

	while read -r pid; do
		kill -KILL "$pid" 2>/dev/null || true
	done < "$work/pids"
	: > "$work/pids"
	for dev in $IF $(cat "$work/devs" 2>/dev/null); do
		ip link del "$dev" 2>/dev/null || true
	done
	: > "$work/devs"
	restore_mode
}

# A node whose mode a test changed gets it back ("MODE PATH" in mode).
restore_mode() {
	# shellcheck disable=SC2046
	[ ! -s "$work/mode" ] || chmod $(cat "$work/mode")
	: > "$work/mode"
}

setup() {
	trap teardown EXIT
	rm -f "$work"/*.out "$work"/*.err "$work"/*.pcap
}

# bg NAME CMD...: CMD in the background, stdout to NAME.out, stderr to
# NAME.err; its pid in $NAME_pid. CMD is a program, not a function (mt),
# so that the pid and the signals sent to it are the program's own.
bg() {
	local name=$1

	shift
	"$@" > "$work/$name.out" 2> "$work/$name.err" &
	echo $! >> "$work/pids"
	eval "${name}_pid=$!"
}

has_line() {
	grep -Eq -- "$2" "$work/$1" 2>/dev/null
}

# ready NAME: the background read or echo says it is attached.
ready() {
	wait_for $WAIT_S has_line "$1.err" "(reading|answering on) " ||
		fail "$1 never got ready: $(cat "$work/$1.err")"
}

# finish NAME [SIGNAL]: signal it (or let it end), then its exit status.
finish() {
	local pid
	local name=$1 sig=${2:-}

	pid=$(eval echo "\$${name}_pid")
	[ -z "$sig" ] || kill -"$sig" "$pid"
	if ! wait_for $WAIT_S eval "! kill -0 $pid 2>/dev/null"; then
		echo "FAIL: $name did not end" >&2
		kill -KILL "$pid"
	fi
	wait "$pid"
}

# expect STATUS REGEX CMD...: CMD exits with STATUS, and the first line of
# its stderr matches REGEX.
expect() {
	local status=$1 re=$2 rc=0

	shift 2
	"$@" > "$work/expect.out" 2> "$work/expect.err" || rc=$?
	if [ $rc -ne "$status" ] || ! head -n 1 "$work/expect.err" | grep -Eq -- "$re"; then
		echo "FAIL: '$*' exited $rc (want $status), said:"
		cat "$work/expect.err"
		echo "wanted a first line matching: $re"
		return 1
	fi
}

sysfs() {
	cat "/sys/class/net/$1/$2"
}

# has_flag NAME FLAG: FLAG is set in NAME's tun_flags.
has_flag() {
	[ $(($(sysfs "$1" tun_flags) & $2)) -ne 0 ]
}

check_eq() {
	[ "$2" = "$3" ] || fail "$1 is '$2', want '$3'"
}

# ---------------------------------------------------------------- up, down

test_up_every_option() {
	setup
	mt up --dev $node --name $IF --tap --no-pi --addr 10.9.0.1/24 \
		--addr fd09::1/64 --mtu 1400 --txqlen 64 --queues 2 --persist \
		--owner nobody --group nogroup > "$work/up.out"
	cat "$work/up.out"
	has_line up.out "^$IF: $driver TAP device, 2 queues, no packet info, mtu 1400, txqlen 64, up, 10.9.0.1/24, fd09::1/64$" ||
		fail "up's summary line"
	# --persist: the device outlived the command.
	[ -d /sys/class/net/$IF ] || fail "$IF is gone after up --persist"
	has_flag $IF $IFF_TAP || fail "not a TAP device"
	has_flag $IF $IFF_NO_PI || fail "IFF_NO_PI not set"
	has_flag $IF $IFF_MULTI_QUEUE || fail "IFF_MULTI_QUEUE not set"
	check_eq mtu "$(sysfs $IF mtu)" 1400
	check_eq tx_queue_len "$(sysfs $IF tx_queue_len)" 64
	check_eq owner "$(sysfs $IF owner)" "$(id -u nobody)"
	check_eq group "$(sysfs $IF group)" "$(getent group nogroup | cut -d: -f3)"
	[ $(($(sysfs $IF flags) & 1)) -eq 1 ] || fail "$IF is not up"
	ip -o addr show dev $IF | grep -q 'inet 10\.9\.0\.1/24 ' || fail "no 10.9.0.1/24"
	ip -o addr show dev $IF | grep -q 'inet6 fd09::1/64 ' || fail "no fd09::1/64"
	ip -d -o link show dev $IF | grep -qw $driver || fail "ip -d link: not $driver"

	mt down --dev $node $IF | grep -qx "removed $IF" || fail "down's line"
	[ ! -e /sys/class/net/$IF ] || fail "$IF is still there after down"
}

test_up_peer() {
	setup
	mt up --dev $node --name $IF --addr 10.9.0.1 --peer 10.9.0.2 \
		--addr fd09::1 --peer fd09::2 --persist
	has_flag $IF $IFF_TUN || fail "not a TUN device"
	! has_flag $IF $IFF_NO_PI || fail "IFF_NO_PI set without --no-pi"
	! has_flag $IF $IFF_MULTI_QUEUE || fail "multi-queue without --queues"
	ip -o addr show dev $IF | grep -q 'inet 10\.9\.0\.1 peer 10\.9\.0\.2/32 ' ||
		fail "no 10.9.0.1 peer 10.9.0.2"
	ip -o addr show dev $IF | grep -q 'inet6 fd09::1 peer fd09::2/128 ' ||
		fail "no fd09::1 peer fd09::2"
	mt down --dev $node $IF
}

# Without --persist the device lasts as long as the command.
test_up_lasts_while_running() {
	setup
	bg up "$MINITUN" up --dev $node --name $IF --addr 10.9.0.1/24 --queues 3
	wait_for $WAIT_S has_line up.out "lasts while this command runs" ||
		fail "up did not come up: $(cat "$work/up.err")"
	[ $(($(sysfs $IF flags) & 1)) -eq 1 ] || fail "$IF is not up"
	set -- /sys/class/net/$IF/queues/tx-*
	check_eq "tx queues" $# 3
	finish up INT || fail "up exited $? on SIGINT"
	[ ! -e /sys/class/net/$IF ] || fail "$IF outlived up without --persist"
}

# A template name, filled in by the driver; up again on an existing device.
test_up_template_and_again() {
	local name

	setup
	mt up --dev $node --persist > "$work/up.out"
	name=$(head -n 1 "$work/up.out" | cut -d: -f1)
	echo "$name" >> "$work/devs"
	[ -d "/sys/class/net/$name" ] || fail "no device '$name' from the mtun%d template"
	[[ "$name" =~ ^mtun[0-9]+$ ]] || fail "'$name' is not from mtun%d"
	mt down --dev $node "$name"

	mt up --dev $node --name $IF --mtu 1500 --persist
	mt up --dev $node --name $IF --mtu 1300 --addr 10.9.0.1/24 --persist
	check_eq mtu "$(sysfs $IF mtu)" 1300
	[ -d /sys/class/net/$IF ] || fail "a persistent device went away"
	expect 1 "^minitun up: $IF exists with other flags .*minitun down $IF" \
		mt up --dev $node --name $IF --tap
	mt down --dev $node $IF
}

test_down_errors() {
	setup
	expect 1 "^minitun down: no interface nosuch0: nothing to remove" \
		mt down --dev $node nosuch0
	expect 1 "^minitun down: lo is not a $driver device" mt down --dev $node lo
	[ -e /sys/class/net/lo ] || fail "down removed lo"
	mt up --dev $other_node --name $IF --persist > /dev/null
	expect 1 "^minitun down: $IF is a $other_driver device, not $driver: pass --dev $other_node" \
		mt down --dev $node $IF
	[ -e /sys/class/net/$IF ] || fail "down removed the other driver's device"
	mt down --dev $other_node $IF
}

# ---------------------------------------------------------------- read

# Our lines and tcpdump's, reduced to what both print the same way: the
# time, and the endpoints (tcpdump writes ports as we do, ADDR.PORT).
our_endpoints() {
	awk '$5 ~ /^IPv[46]$/ { print $1, $6, $7, $8 }
	     $5 == "ARP," && $6 == "who-has" { print $1, "who-has", $7, $9 }' "$1"
}

tcpdump_endpoints() {
	tcpdump -nn -r "$1" 2>/dev/null |
		awk '$2 ~ /^IP6?$/ { print $1, $3, $4, $5 }
		     $2 == "ARP," && $4 == "who-has" { sub(/,$/, "", $7)
						       print $1, "who-has", $5, $7 }'
}

# The pcap holds the packets the lines show, at the same times.
check_pcap() {
	local lines packets

	our_endpoints "$work/read.out" > "$work/ours"
	tcpdump_endpoints "$work/read.pcap" > "$work/theirs"
	lines=$(grep -c ' len ' "$work/read.out")
	packets=$(tcpdump -nn -r "$work/read.pcap" 2>/dev/null | wc -l)
	check_eq "packets in the pcap" "$packets" "$lines"
	diff "$work/ours" "$work/theirs" || fail "read's lines and tcpdump -r differ"
	[ -s "$work/ours" ] || fail "nothing to compare"
	tcpdump -r "$work/read.pcap" 2>&1 | grep -q "link-type $1" ||
		fail "the pcap is not link-type $1"
	has_line read.err "^minitun read: $lines packets, [0-9]+ bytes from $IF; written to " ||
		fail "read's totals: $(cat "$work/read.err")"
}

test_read_decodes_tun() {
	local v4='10\.9\.0\.1' v6='fd09::1'

	setup
	mt up --dev $node --name $IF --addr 10.9.0.1/24 --addr fd09::1/64 --persist
	bg read "$MINITUN" read --dev $node -i $IF -w "$work/read.pcap" "${batch[@]}"
	ready read
	ping -c 1 -W 1 10.9.0.2 > /dev/null || true
	echo hi > /dev/udp/10.9.0.2/9999
	# Nobody answers the SYN: the connect stays in the background, so a
	# slow VM cannot time it out before the SYN leaves.
	bg tcp timeout $WAIT_S bash -c 'echo > /dev/tcp/10.9.0.2/8080'
	ping -6 -c 1 -W 1 fd09::2 > /dev/null || true
	echo hi > /dev/udp/fd09::2/9999
	wait_for $WAIT_S has_line read.out "> fd09::2\.9999: UDP" ||
		fail "the last packet never came: $(cat "$work/read.out")"
	wait_for $WAIT_S has_line read.out "TCP \[S\]" ||
		fail "the TCP SYN never came: $(cat "$work/read.out")"
	finish read INT || fail "read exited $? on SIGINT"
	cat "$work/read.out"

	has_line read.out "q0 len 84 IPv4 $v4 > 10\.9\.0\.2: ICMP echo request, id [0-9]+, seq 1, length 64$" ||
		fail "no ICMP echo request line"
	has_line read.out "IPv4 $v4\.[0-9]+ > 10\.9\.0\.2\.9999: UDP, length 3$" ||
		fail "no UDP line"
	has_line read.out "IPv4 $v4\.[0-9]+ > 10\.9\.0\.2\.8080: TCP \[S\] seq [0-9]+ win [0-9]+, length 0$" ||
		fail "no TCP SYN line"
	has_line read.out "IPv6 $v6 > fd09::2: ICMP6 echo request, id [0-9]+, seq 1, length 64$" ||
		fail "no ICMPv6 echo request line"
	has_line read.out "IPv6 $v6\.[0-9]+ > fd09::2\.9999: UDP, length 3$" ||
		fail "no UDP over IPv6 line"
	check_pcap RAW
	mt down --dev $node $IF
}

test_read_decodes_tap() {
	setup
	mt up --dev $node --name $IF --tap --no-pi --addr 10.9.1.1/24 \
		--addr fd09:1::1/64 --persist
	bg read "$MINITUN" read --dev $node -i $IF -w "$work/read.pcap" "${batch[@]}"
	ready read
	ping -c 1 -W 1 10.9.1.2 > /dev/null || true
	ping -6 -c 1 -W 1 fd09:1::2 > /dev/null || true
	wait_for $WAIT_S has_line read.out "who has fd09:1::2" ||
		fail "no neighbor solicitation came: $(cat "$work/read.out")"
	finish read INT
	cat "$work/read.out"

	has_line read.out "len 42 ARP, who-has 10\.9\.1\.2 tell 10\.9\.1\.1$" ||
		fail "no ARP request line"
	has_line read.out "IPv6 fd09:1::1 > ff02::1:ff00:2: ICMP6 neighbor solicitation, who has fd09:1::2, length 32$" ||
		fail "no neighbor solicitation line"
	check_pcap EN10MB
	mt down --dev $node $IF
}

# hex_bytes FILE: "LEN BYTES" for each packet line and its hex dump.
hex_bytes() {
	awk '/ len / { if (len != "") print len, bytes
		       for (i = 1; i < NF; i++) if ($i == "len") len = $(i + 1)
		       bytes = 0; next }
	     /^\t0x/ { for (i = 2; i <= NF; i++) bytes += length($i) / 2 }
	     END { if (len != "") print len, bytes }' "$1"
}

# --count ends read by itself, whichever way it waits; -x dumps every byte.
test_read_count_hex_modes() {
	local mode

	setup
	mt up --dev $node --name $IF --addr 10.9.0.1/24 --persist
	for mode in "" --nonblock --epoll; do
		rm -f "$work/read.out" "$work/read.err"
		bg read "$MINITUN" read --dev $node -i $IF --count 3 -x $mode
		ready read
		bg ping ping -c 10 -i 0.2 -W 1 10.9.0.2
		finish read || fail "read --count 3 $mode exited $?"
		finish ping KILL || true
		check_eq "lines of read --count 3 $mode" \
			"$(grep -c ' len ' "$work/read.out")" 3
		has_line read.err "^minitun read: 3 packets, " ||
			fail "read's totals: $(cat "$work/read.err")"
		hex_bytes "$work/read.out" > "$work/hex"
		check_eq "hex dumps" "$(wc -l < "$work/hex")" 3
		awk '$1 != $2 { exit 1 }' "$work/hex" ||
			fail "a hex dump's bytes differ from its length: $(cat "$work/hex")"
	done
	mt down --dev $node $IF
}

test_read_queues() {
	local counts

	setup
	mt up --dev $node --name $IF --addr 10.9.0.1/24 --queues 2 --persist
	bg read "$MINITUN" read --dev $node -i $IF --queues 2 --count 6
	ready read
	has_line read.err "on 2 queues" || fail "read did not attach 2 queues"
	bg ping ping -c 20 -i 0.1 -W 1 10.9.0.2
	finish read || fail "read --queues 2 exited $?"
	finish ping KILL || true
	cat "$work/read.err"
	counts=$(sed -n 's/.*(q0 \([0-9]*\), q1 \([0-9]*\)).*/\1 + \2/p' "$work/read.err")
	[ -n "$counts" ] || fail "no per-queue totals"
	check_eq "q0 + q1" "$((counts))" 6
	mt down --dev $node $IF
}

# ---------------------------------------------------------------- echo

# ping_through NAME ADDR [ping options]: PINGS pings, every one answered.
ping_through() {
	local out

	out=$(ping -c $PINGS -i 0.05 -W 5 "${@:2}" "$1" 2>&1) || true
	echo "$out" | tail -n 2
	echo "$out" | grep -q "$PINGS packets transmitted, $PINGS received, 0% packet loss" ||
		fail "pings to $1 were lost"
}

# udp_echo SOCAT-ADDRESS: a datagram to port 7 comes back as it went
# (socat reads whole datagrams; bash's read would take a byte of one).
udp_echo() {
	local reply

	reply=$(echo "hello $1" | socat -t 2 - "$1:7") || true
	check_eq "the UDP echo from $1" "$reply" "hello $1"
}

# echo_through TYPE-OPTION: ping, ping -6 and UDP through a TUN or TAP device.
echo_through() {
	setup
	mt up --dev $node --name $IF "$@" --addr 10.9.2.1/24 --addr fd09:2::1/64 \
		--persist > /dev/null
	bg echo "$MINITUN" echo --dev $node -i $IF "${batch[@]}"
	ready echo
	ping_through 10.9.2.2
	ping_through fd09:2::2 -6
	udp_echo UDP4:10.9.2.2
	udp_echo "UDP6:[fd09:2::2]"
	finish echo TERM || fail "echo exited $? on SIGTERM"
	cat "$work/echo.out"
	has_line echo.out "answered [0-9]+ \(ICMP echo $PINGS, ICMPv6 echo $PINGS, UDP 2, " ||
		fail "echo's account of what it answered"
	mt down --dev $node $IF
}

test_echo_tun() {
	echo_through
	has_line echo.out "ARP 0, neighbor solicitation 0\)" ||
		fail "ARP or NDISC answered on a TUN device"
}

test_echo_tap() {
	echo_through --tap
	has_line echo.out "ARP [1-9][0-9]*, neighbor solicitation [1-9][0-9]*\)" ||
		fail "no ARP or neighbor solicitation answered on a TAP device"
}

test_echo_queues() {
	setup
	mt up --dev $node --name $IF --tap --queues 2 --addr 10.9.2.1/24 \
		--persist > /dev/null
	bg echo "$MINITUN" echo --dev $node -i $IF --queues 2 -v
	ready echo
	ping_through 10.9.2.2
	finish echo INT || fail "echo exited $? on SIGINT"
	has_line echo.out "^minitun echo: $IF, 2 queues: .*ICMP echo $PINGS," ||
		fail "echo's totals: $(tail -n 2 "$work/echo.out")"
	has_line echo.out "^minitun echo: answered per queue: q0 [0-9]+ q1 [0-9]+$" ||
		fail "no per-queue totals"
	# -v: a line for each echo request in and each reply out.
	check_eq "requests shown" "$(grep -c ' in  len .* ICMP echo request' "$work/echo.out")" $PINGS
	check_eq "replies shown" "$(grep -c ' out len .* ICMP echo reply' "$work/echo.out")" $PINGS
	mt down --dev $node $IF
}

# dropped_since BEFORE N: $IF's rx_dropped has risen by N since BEFORE.
dropped_since() {
	[ $(($(sysfs $IF statistics/rx_dropped) - $1)) -ge "$2" ]
}

# Batched, twelve answers in one write() that the device refuses, taken
# down meanwhile: echo writes again from each refused record, as the uapi
# asks, so that its write errors are the device's rx_dropped, one each,
# and nothing refused counts as answered.
test_echo_batch_refused() {
	local before after errors

	setup
	mt up --name $IF --no-pi --addr 10.9.3.1/24 --persist > /dev/null
	echo 1 > /proc/sys/net/ipv6/conf/$IF/disable_ipv6
	bg echo "$MINITUN" echo -i $IF --batch 16
	ready echo
	kill -STOP "$echo_pid"
	ping -q -c 12 -l 12 -W 1 10.9.3.2 > /dev/null || true
	before=$(sysfs $IF statistics/rx_dropped)
	ip link set $IF down
	kill -CONT "$echo_pid"
	# the twelve refused by the device: echo has tried each answer
	wait_for $WAIT_S dropped_since "$before" 12 || true
	finish echo INT || fail "echo exited $? on SIGINT"
	after=$(sysfs $IF statistics/rx_dropped)
	cat "$work/echo.out"
	errors=$(sed -n 's/.*write errors \([0-9]*\)$/\1/p' "$work/echo.out")
	has_line echo.out "read 12, answered 0 " || fail "refused answers counted"
	check_eq "echo's write errors" "$errors" $((after - before))
	check_eq "write errors" "$errors" 12
	mt down $IF
}

# One grammar: every subcommand takes -h and --version, and names its
# interface with -i/--interface (down also as ip does, 'dev NAME').
test_one_grammar() {
	local cmd

	setup
	for cmd in up down read echo bench trace; do
		mt $cmd -h > "$work/h.out" || fail "minitun $cmd -h exited $?"
		has_line h.out "^Usage: minitun $cmd" || fail "minitun $cmd -h: $(head -n 2 "$work/h.out")"
		has_line h.out "-i, (-n, )?--interface" || fail "minitun $cmd has no -i/--interface"
		mt $cmd --version > "$work/v.out" || fail "minitun $cmd --version exited $?"
		has_line v.out "^minitun [0-9]" || fail "minitun $cmd --version: $(cat "$work/v.out")"
	done
	# one name for one thing: how long, and JSON
	for cmd in bench trace; do
		mt $cmd -h > "$work/h.out"
		has_line h.out "-d, (-t, )?--duration=S" || fail "minitun $cmd has no -d/--duration"
		has_line h.out "-j, --json" || fail "minitun $cmd has no -j/--json"
	done
	# a letter means one thing: -a is up's --addr, nothing else's
	for cmd in down read echo bench trace; do
		mt $cmd -h > "$work/h.out"
		! has_line h.out "^ *-a, " || fail "minitun $cmd takes -a for something else"
	done
	# a subcommand by the start of its name, as ip and bpftool take them
	mt tr -h > "$work/h.out" || fail "minitun tr -h exited $?"
	has_line h.out "^Usage: minitun trace" || fail "minitun tr is not trace"
	mt up -i $IF --persist > /dev/null
	[ -d /sys/class/net/$IF ] || fail "minitun up -i $IF made no $IF"
	mt down -i $IF > /dev/null || fail "minitun down -i $IF exited $?"
	mt up --interface $IF --persist > /dev/null
	mt down dev $IF > /dev/null || fail "minitun down dev $IF exited $?"
	[ ! -d /sys/class/net/$IF ] || fail "$IF is still there"
}

# ---------------------------------------------------------------- errors

test_usage_errors() {
	expect 2 "^usage: minitun COMMAND" mt
	expect 2 "^minitun: no command 'frob'; 'minitun help' lists them" mt frob
	expect 2 "^minitun up: --mtu takes a number from 68 to 65535, not '10'" mt up --mtu 10
	expect 2 "^minitun up: --queues takes a number from 1 to 256" mt up --queues 0
	expect 2 "^minitun up: --addr takes an address" mt up --addr 10.0.0.300
	expect 2 "^minitun up: --peer 10.0.0.2 needs an --addr of the same family" \
		mt up --peer 10.0.0.2
	expect 2 "^minitun up: --peer fd00::2 needs an --addr" \
		mt up --addr 10.0.0.1 --peer fd00::2
	expect 2 "^minitun up: no user 'nosuchuser'" mt up --owner nosuchuser
	expect 2 "^minitun up: an interface name has 1 to 15 characters" \
		mt up --name abcdefghijklmnop
	expect 2 "^minitun up: unrecognized option '--frob'" mt up --frob
	expect 2 "^minitun up: --dev takes a device node path" mt up --dev ""
	expect 2 "^minitun read: which interface\? -i NAME" mt read
	expect 2 "^minitun read: --nonblock and --epoll do not combine" \
		mt read -i x --nonblock --epoll
	expect 2 "^minitun read: 'a/b' cannot name an interface" mt read -i a/b
	expect 2 "^minitun read: --count takes a number from 1" mt read -i x -c 0
	expect 2 "^minitun echo: unexpected argument 'x'" mt echo -i y x
	expect 2 "^minitun down: which interface\? 'minitun down NAME'" mt down
	expect 2 "^minitun down: one NAME at a time" mt down a b

	mt help > "$work/help.out"
	for cmd in up down read echo; do
		grep -q "^  $cmd " "$work/help.out" || fail "minitun help does not list $cmd"
		mt help $cmd | grep -q "^Usage: minitun $cmd " || fail "minitun help $cmd"
		mt $cmd --help | grep -q "^Usage: minitun $cmd " || fail "minitun $cmd --help"
	done
}

as_nobody() {
	setpriv --reuid=nobody --regid=nogroup --clear-groups "$MINITUN" "$@"
}

test_runtime_errors() {
	setup
	expect 1 "^minitun read: no interface nosuch0: create it first with 'minitun up --name nosuch0 --persist" \
		mt read --dev $node -i nosuch0
	expect 1 "^minitun echo: no interface nosuch0: create it first" \
		mt echo --dev $node -i nosuch0
	# The VM's devtmpfs makes /dev/net/tun 0600, where udev makes it 0666.
	stat -c "%a %n" $node > "$work/mode"
	chmod 0666 $node
	expect 1 "^minitun up: creating $IF needs CAP_NET_ADMIN: run as root$" \
		as_nobody up --dev $node --name $IF
	chmod 0600 $node
	expect 1 "^minitun up: permission denied opening $node: run as root" \
		as_nobody up --dev $node --name $IF
	restore_mode

	mt up --dev $node --name $IF --addr 10.9.3.1/24 --persist > /dev/null
	expect 1 "^minitun read: $IF is a $driver device, not $other_driver: pass --dev $node" \
		mt read --dev $other_node -i $IF
	expect 1 "^minitun read: $IF has a single queue, so it cannot be read on 2" \
		mt read --dev $node -i $IF --queues 2
	expect 1 "^minitun read: cannot write /nonexistent/x.pcap" \
		mt read --dev $node -i $IF -w /nonexistent/x.pcap

	bg echo "$MINITUN" echo --dev $node -i $IF
	ready echo
	expect 1 "^minitun read: $IF already has a reader on its only queue: stop that reader" \
		mt read --dev $node -i $IF
	# The device deleted under a running reader: it says so and fails.
	mt down --dev $node $IF > /dev/null
	finish echo && fail "echo exited 0 when its device was deleted"
	has_line echo.err "^minitun echo: $IF was deleted while we used it" ||
		fail "echo's last words: $(cat "$work/echo.err")"
}

# With the module unloaded, every subcommand says how to load it.
test_batch_refused_on_tun() {
	setup
	mt up --dev /dev/net/tun --name $IF --persist
	expect 1 "^minitun read: /dev/net/tun cannot batch .*: batching is minitun's own; leave out --batch, or use --dev /dev/minitun" \
		mt read --dev /dev/net/tun -i $IF --batch 8
	expect 1 "^minitun echo: /dev/net/tun cannot batch" \
		mt echo --dev /dev/net/tun -i $IF --batch 8
	mt down --dev /dev/net/tun $IF
}

test_module_not_loaded() {
	local cmd

	rmmod minitun || fail "cannot unload minitun (a device or file left behind?)"
	# The tests after this one need it back, whatever happens here.
	trap 'insmod "$MINITUN_KO"' EXIT
	for cmd in "up --name $IF" "down $IF" "read -i $IF" "echo -i $IF"; do
		# shellcheck disable=SC2086
		expect 1 "^minitun ${cmd%% *}: /dev/minitun does not exist: the minitun module is not loaded; load it with 'insmod kmod/minitun.ko'" \
			mt $cmd
	done
}

require_root
require_built "$MINITUN"
require_cmd tcpdump
require_module tun

# Every test of the command's behaviour, on both drivers.
per_driver=(test_up_every_option test_up_peer test_up_lasts_while_running
	    test_up_template_and_again test_down_errors test_read_decodes_tun
	    test_read_decodes_tap test_read_count_hex_modes test_read_queues
	    test_echo_tun test_echo_tap test_echo_queues test_runtime_errors)
tests=()
for t in "${per_driver[@]}"; do
	eval "${t}_minitun() { $t; }"
	eval "${t}_tun() { node=/dev/net/tun driver=tun other_node=/dev/minitun other_driver=minitun; $t; }"
	tests+=("${t}_minitun" "${t}_tun")
done
# The same reading and answering in batched mode, on minitun alone.
for t in test_read_decodes_tun test_read_decodes_tap test_echo_tun test_echo_tap; do
	eval "${t}_batched() { batch=(--batch 8); $t; }"
	tests+=("${t}_batched")
done

run_tests "${tests[@]}" test_batch_refused_on_tun test_echo_batch_refused \
	test_one_grammar test_usage_errors test_module_not_loaded
