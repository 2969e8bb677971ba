// SPDX-License-Identifier: GPL-2.0
/*
 * minitun trace's filter, compiled by libpcap to classic BPF for raw IP,
 * the link type of a TUN device without packet info: the tracer reads each
 * packet from its network header on. trace.bpf.c runs the instructions on
 * the packet's first TRACE_FILTER_BYTES. Needs no privilege, so a bad
 * expression is told before anything is loaded.
 */
#include <pcap/pcap.h>
#include <string.h>

#include "cli.h"
#include "trace_filter.h"

_Static_assert(sizeof(struct bpf_insn) == sizeof(struct trace_filter_insn),
	       "classic BPF's instruction is trace.h's");

int trace_filter_compile(const char *expr, struct trace_filter_insn *insns)
{
	struct bpf_program prog;
	int len = -1;
	pcap_t *pcap;

	pcap = pcap_open_dead(DLT_RAW, TRACE_FILTER_BYTES);
	if (!pcap) {
		mt_error("cannot set up libpcap to compile the filter");
		return -1;
	}
	if (pcap_compile(pcap, &prog, expr, 1, PCAP_NETMASK_UNKNOWN)) {
		mt_error("bad filter '%s': %s: the filter is a pcap-filter(7) expression, as tcpdump takes, such as 'udp port 53' or 'icmp and host 10.0.0.2'",
			 expr, pcap_geterr(pcap));
		goto out;
	}
	if (prog.bf_len > TRACE_FILTER_INSNS) {
		mt_error("the filter '%s' compiles to %u classic BPF instructions, more than the tracer runs (%d): make it simpler",
			 expr, prog.bf_len, TRACE_FILTER_INSNS);
	} else {
		memcpy(insns, prog.bf_insns, prog.bf_len * sizeof(*insns));
		len = prog.bf_len;
	}
	pcap_freecode(&prog);
out:
	pcap_close(pcap);
	return len;
}
