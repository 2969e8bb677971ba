/* SPDX-License-Identifier: GPL-2.0 */
/*
 * minitun trace's filter: a pcap-filter expression compiled by libpcap,
 * apart from trace.c because libpcap's <pcap/bpf.h> and libbpf's
 * <linux/bpf.h> both define struct bpf_insn.
 */
#ifndef _MINITUN_TRACE_FILTER_H
#define _MINITUN_TRACE_FILTER_H

#include <linux/types.h>

#include "trace.h"

/*
 * expr as classic BPF for raw IP, into insns (TRACE_FILTER_INSNS of
 * them): how many, or -1 after saying what is wrong with it.
 */
int trace_filter_compile(const char *expr, struct trace_filter_insn *insns);

#endif /* _MINITUN_TRACE_FILTER_H */
