#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Real tun clients on minitun. Two network namespaces joined by a veth pair;
# in each, socat's TUN address makes a minitun device and carries its
# packets over UDP to the other side's socat:
#
#   ns mta: ping 10.77.0.2                      ns mtb: answers
#   mta0 (10.77.0.1/24) <-> socat <-- UDP over veth --> socat <-> mtb0 (10.77.0.2/24)
#
# A ping across must lose nothing, and every packet must be seen by the
# minitun devices' own counters: the echo requests read from mta0 and
# written into mtb0, the replies back the other way. With the packet-info
# header (socat's default) and without (iff-no-pi). Then the same with
# clients that only know /dev/net/tun, in a private mount namespace where
# /dev/minitun is bind-mounted over it, while the real tun is loaded and
# must see none of it. In the VM, with the module loaded. All of it in a
# network namespace of its own, whose named namespaces are its own too.

. "$(dirname "$0")/lib.sh"
cd "$(dirname "$0")/.." || exit 1
own_netns "$@"

NS_A=mta
NS_B=mtb
PINGS=10
UDP_PORT=5555
IFF_NO_PI=0x1000
IFF_PERSIST=0x0800

require_root
require_cmd socat ip
require_module tun

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# ns_stat NS DEV COUNTER: one of DEV's counters, read inside NS.
ns_stat() {
	ip netns exec "$1" cat "/sys/class/net/$2/statistics/$3"
}

# Two namespaces, IPv6 off (only the test's packets cross the tunnel),
# joined by veth: 192.168.77.1 in NS_A, .2 in NS_B.
namespaces_up() {
	local ns

	for ns in $NS_A $NS_B; do
		ip netns add $ns
		ip netns exec $ns sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
			net.ipv6.conf.default.disable_ipv6=1
		ip -n $ns link set lo up
	done
	ip link add veth-mta netns $NS_A type veth peer name veth-mtb netns $NS_B
	ip -n $NS_A addr add 192.168.77.1/24 dev veth-mta
	ip -n $NS_B addr add 192.168.77.2/24 dev veth-mtb
	ip -n $NS_A link set veth-mta up
	ip -n $NS_B link set veth-mtb up
}

# The socats we started, by pid, then the namespaces (and veth) with them.
namespaces_down() {
	local pid

	for pid in ${socat_pids:-}; do
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	ip netns del $NS_A 2>/dev/null || true
	ip netns del $NS_B 2>/dev/null || true
}

# tunnel_end NS LOCAL PEER DEV HOW [TUN-OPTIONS]: a socat in NS that carries
# DEV's packets (DEV addressed LOCAL/24) over UDP to PEER. HOW is "node" to
# name /dev/minitun with tun-device=, or "bind" for a client that only knows
# /dev/net/tun and finds /dev/minitun there.
tunnel_end() {
	local ns=$1 local=$2 peer=$3 dev=$4 how=$5 options=${6:-}
	local tun="TUN:$local/24,tun-name=$dev,iff-up$options"
	local udp="UDP4-DATAGRAM:$peer:$UDP_PORT,bind=:$UDP_PORT"

	if [ "$how" = node ]; then
		ip netns exec "$ns" socat -d -d "$udp" "$tun,tun-device=/dev/minitun" \
			2> "$work/socat-$dev.log" &
	else
		ip netns exec "$ns" unshare -m sh -c \
			'mount --bind /dev/minitun /dev/net/tun && exec "$@"' - \
			socat -d -d "$udp" "$tun" 2> "$work/socat-$dev.log" &
	fi
	socat_pids="${socat_pids:-} $!"
}

# link_up NS DEV
link_up() {
	ip -n "$1" link show "$2" up 2>/dev/null | grep -q UP
}

# Wait for DEV to be up in NS; on failure, say what socat said.
wait_up() {
	wait_for 5 link_up "$1" "$2" && return 0
	echo "$2 never came up in $1; socat said:"
	cat "$work/socat-$2.log"
	return 1
}

# The device is minitun's: its driver, its link kind, and no tun in sight.
is_minitun() {
	local ns=$1 dev=$2

	ip netns exec "$ns" ethtool -i "$dev" | grep -qx 'driver: minitun'
	ip -n "$ns" -d link show "$dev" | grep -qw minitun
	[ -z "$(ip -n "$ns" link show type tun)" ]
}

# pi_matches NS DEV OPTIONS: IFF_NO_PI is set on DEV exactly when asked.
pi_matches() {
	local flags want=0

	flags=$(ip netns exec "$1" cat "/sys/class/net/$2/tun_flags")
	case "$3" in *iff-no-pi*) want=$IFF_NO_PI ;; esac
	[ $((flags & IFF_NO_PI)) -eq $((want)) ]
}

# tunnel_ping HOW [TUN-OPTIONS]: the tunnel, PINGS echo requests across it,
# none lost, and each one counted by both minitun devices, both ways.
tunnel_ping() {
	local how=$1 options=${2:-} tx_a rx_a tx_b rx_b tun_refs=""

	trap namespaces_down EXIT
	namespaces_up
	[ -e /sys/module/tun ] && tun_refs=$(cat /sys/module/tun/refcnt)

	tunnel_end $NS_A 10.77.0.1 192.168.77.2 mta0 "$how" "$options"
	tunnel_end $NS_B 10.77.0.2 192.168.77.1 mtb0 "$how" "$options"
	wait_up $NS_A mta0
	wait_up $NS_B mtb0
	is_minitun $NS_A mta0
	is_minitun $NS_B mtb0
	pi_matches $NS_A mta0 "$options"
	pi_matches $NS_B mtb0 "$options"

	tx_a=$(ns_stat $NS_A mta0 tx_packets)
	rx_a=$(ns_stat $NS_A mta0 rx_packets)
	tx_b=$(ns_stat $NS_B mtb0 tx_packets)
	rx_b=$(ns_stat $NS_B mtb0 rx_packets)

	# -w: wait for every reply, for up to 20 s, not only for the two round
	# trips ping lingers after its last request, which a VM under load can
	# outlast. A packet really lost is still one less received.
	ip netns exec $NS_A ping -q -c $PINGS -i 0.2 -w 20 10.77.0.2 |
		tee "$work/ping"
	grep -q " $PINGS received, 0% packet loss" "$work/ping"

	# Requests read from mta0 and written into mtb0; replies the other way.
	[ $(($(ns_stat $NS_A mta0 tx_packets) - tx_a)) -eq $PINGS ]
	[ $(($(ns_stat $NS_B mtb0 rx_packets) - rx_b)) -eq $PINGS ]
	[ $(($(ns_stat $NS_B mtb0 tx_packets) - tx_b)) -eq $PINGS ]
	[ $(($(ns_stat $NS_A mta0 rx_packets) - rx_a)) -eq $PINGS ]

	# While socat still holds its file, tun has no more users than before.
	if [ -n "$tun_refs" ]; then
		[ "$(cat /sys/module/tun/refcnt)" -eq "$tun_refs" ]
	fi
}

socat_tun_device_pi() {
	tunnel_ping node
}

socat_tun_device_no_pi() {
	tunnel_ping node ,iff-no-pi
}

# The real tun is loaded, so /dev/net/tun is its node, as on any Debian
# system; the bind mount is what sends the client to minitun.
load_tun() {
	[ -e /dev/net/tun ] || modprobe tun
	[ -c /dev/net/tun ]
}

socat_bind_mounted_pi() {
	load_tun
	tunnel_ping bind
}

socat_bind_mounted_no_pi() {
	load_tun
	tunnel_ping bind ,iff-no-pi
}

# ip tuntap opens /dev/net/tun, makes the device persistent and closes it:
# through the bind mount, that device is minitun's and outlives ip. (Its
# "show" lists only devices of kind tun, so sysfs is read instead.)
ip_tuntap_bind_mounted() {
	local bind='mount --bind /dev/minitun /dev/net/tun && exec "$@"'

	load_tun
	trap 'ip link del mtt0 2>/dev/null || true' EXIT
	unshare -m sh -c "$bind" - ip tuntap add dev mtt0 mode tun user nobody
	ethtool -i mtt0 | grep -qx 'driver: minitun'
	[ $(($(cat /sys/class/net/mtt0/tun_flags) & IFF_PERSIST)) -ne 0 ]
	[ "$(cat /sys/class/net/mtt0/owner)" -eq 65534 ]
	unshare -m sh -c "$bind" - ip tuntap del dev mtt0 mode tun
	[ ! -e /sys/class/net/mtt0 ]
}

run_tests socat_tun_device_pi socat_tun_device_no_pi \
	socat_bind_mounted_pi socat_bind_mounted_no_pi ip_tuntap_bind_mounted
