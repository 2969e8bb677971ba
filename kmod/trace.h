/* SPDX-License-Identifier: GPL-2.0 */
/*
 * minitun's tracepoints, one at each stage of the data path (DESIGN.md,
 * "Observability"). tun has none; these are what the tracer in user/
 * attaches to, as raw tracepoints, and what perf and trace-cmd show.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM minitun

#if !defined(_MINITUN_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _MINITUN_TRACE_H

#include <linux/netdevice.h>
#include <linux/skbuff.h>
#include <linux/tracepoint.h>
#include <net/dropreason.h>

#include "compat.h"
#include "trace_args.h"

/* The reasons minitun_drop is given, by name, as skb:kfree_skb prints them. */
TRACE_DEFINE_ENUM(SKB_DROP_REASON_DEV_READY);
TRACE_DEFINE_ENUM(SKB_DROP_REASON_FULL_RING);
TRACE_DEFINE_ENUM(SKB_DROP_REASON_SKB_UCOPY_FAULT);

#define minitun_show_drop_reason(reason)				\
	__print_symbolic(reason,					\
			 { SKB_DROP_REASON_DEV_READY, "DEV_READY" },	\
			 { SKB_DROP_REASON_FULL_RING, "FULL_RING" },	\
			 { SKB_DROP_REASON_SKB_UCOPY_FAULT, "SKB_UCOPY_FAULT" })

DECLARE_EVENT_CLASS(minitun_skb,
		    TP_PROTO(MINITUN_TP_XMIT_ARGS),
		    TP_ARGS(skb, queue),
		    TP_STRUCT__entry(__string(dev, skb->dev ? skb->dev->name : "")
				     __field(const void *, skbaddr)
				     __field(u32, len)
				     __field(u16, queue)),
		    TP_fast_assign(minitun_assign_str(dev, skb->dev ? skb->dev->name : "");
				   __entry->skbaddr = skb;
				   __entry->len = skb->len;
				   __entry->queue = queue;),
		    TP_printk("dev=%s queue=%u skbaddr=%p len=%u",
			      __get_str(dev), __entry->queue, __entry->skbaddr,
			      __entry->len)
);

DEFINE_EVENT(minitun_skb, minitun_xmit,
	     TP_PROTO(MINITUN_TP_XMIT_ARGS),
	     TP_ARGS(skb, queue)
);

DEFINE_EVENT(minitun_skb, minitun_inject,
	     TP_PROTO(MINITUN_TP_INJECT_ARGS),
	     TP_ARGS(skb, queue)
);

TRACE_EVENT(minitun_enqueue,
	    TP_PROTO(MINITUN_TP_ENQUEUE_ARGS),
	    TP_ARGS(skb, queue, occupancy, capacity),
	    TP_STRUCT__entry(__field(const void *, skbaddr)
			     __field(u16, queue)
			     __field(u32, occupancy)
			     __field(u32, capacity)),
	    TP_fast_assign(__entry->skbaddr = skb;
			   __entry->queue = queue;
			   __entry->occupancy = occupancy;
			   __entry->capacity = capacity;),
	    TP_printk("queue=%u skbaddr=%p ring=%u/%u", __entry->queue,
		      __entry->skbaddr, __entry->occupancy, __entry->capacity)
);

TRACE_EVENT(minitun_drop,
	    TP_PROTO(MINITUN_TP_DROP_ARGS),
	    TP_ARGS(skb, queue, reason),
	    TP_STRUCT__entry(__field(const void *, skbaddr)
			     __field(u16, queue)
			     __field(u32, reason)),
	    TP_fast_assign(__entry->skbaddr = skb;
			   __entry->queue = queue;
			   __entry->reason = reason;),
	    TP_printk("queue=%u skbaddr=%p reason=%s", __entry->queue,
		      __entry->skbaddr,
		      minitun_show_drop_reason(__entry->reason))
);

TRACE_EVENT(minitun_wake,
	    TP_PROTO(MINITUN_TP_WAKE_ARGS),
	    TP_ARGS(skb, queue, sleeping),
	    TP_STRUCT__entry(__field(const void *, skbaddr)
			     __field(u16, queue)
			     __field(bool, sleeping)),
	    TP_fast_assign(__entry->skbaddr = skb;
			   __entry->queue = queue;
			   __entry->sleeping = sleeping;),
	    TP_printk("queue=%u skbaddr=%p reader=%s", __entry->queue,
		      __entry->skbaddr, __entry->sleeping ? "asleep" : "busy")
);

TRACE_EVENT(minitun_dequeue,
	    TP_PROTO(MINITUN_TP_DEQUEUE_ARGS),
	    TP_ARGS(skb, queue, occupancy),
	    TP_STRUCT__entry(__field(const void *, skbaddr)
			     __field(u16, queue)
			     __field(u32, occupancy)),
	    TP_fast_assign(__entry->skbaddr = skb;
			   __entry->queue = queue;
			   __entry->occupancy = occupancy;),
	    TP_printk("queue=%u skbaddr=%p left=%u", __entry->queue,
		      __entry->skbaddr, __entry->occupancy)
);

TRACE_EVENT(minitun_copy,
	    TP_PROTO(MINITUN_TP_COPY_ARGS),
	    TP_ARGS(skb, queue, bytes, batch),
	    TP_STRUCT__entry(__field(const void *, skbaddr)
			     __field(u16, queue)
			     __field(u32, bytes)
			     __field(u32, batch)),
	    TP_fast_assign(__entry->skbaddr = skb;
			   __entry->queue = queue;
			   __entry->bytes = bytes;
			   __entry->batch = batch;),
	    TP_printk("queue=%u skbaddr=%p bytes=%u batch=%u", __entry->queue,
		      __entry->skbaddr, __entry->bytes, __entry->batch)
);

#endif /* _MINITUN_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE trace
#include <trace/define_trace.h>
