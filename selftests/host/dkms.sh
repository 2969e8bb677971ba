#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# kmod/dkms.conf builds the module as a user would with DKMS, for each
# kernel minitun supports, in a private DKMS tree (nothing under
# /var/lib/dkms changes).

cd "$(dirname "$0")/../.." || exit 1
. selftests/lib.sh

dkms_builds_for() {
	local tmp version release ko
	command -v dkms >/dev/null || skip "dkms is not installed (scripts/deps installs it)"
	release=$(scripts/target-kernel "$1")
	version=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' kmod/dkms.conf)
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' RETURN

	mkdir -p "$tmp/src/minitun-$version" "$tmp/tree"
	# kmod/ as a user copies it (dkms.conf says how), without build output
	cp -r kmod/*.c kmod/*.h kmod/Kbuild kmod/dkms.conf kmod/uapi \
		"$tmp/src/minitun-$version/"
	rm -f "$tmp/src/minitun-$version"/*.mod.c
	# dkms signs what it builds; keep its key out of /var/lib/dkms.
	export mok_signing_key=$tmp/mok.key mok_certificate=$tmp/mok.pub
	dkms build --dkmstree "$tmp/tree" --sourcetree "$tmp/src" \
		"minitun/$version" -k "$release" >/dev/null

	# 6.12's modules are compressed, and dkms follows the kernel.
	ko=$(find "$tmp/tree" -name 'minitun.ko*' -path "*/$release/*")
	[ -n "$ko" ]
	echo "built $ko"
	[ "$(modinfo -F vermagic "$ko" | cut -d' ' -f1)" = "$release" ]
	# One version: DKMS's package version is the module's DRV_VERSION.
	[ "$(modinfo -F version "$ko")" = "$version" ]
}

test_dkms_builds_for_6_1() {
	dkms_builds_for 6.1
}

test_dkms_builds_for_6_12() {
	dkms_builds_for 6.12
}

run_tests test_dkms_builds_for_6_1 test_dkms_builds_for_6_12
