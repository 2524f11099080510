/* SPDX-License-Identifier: GPL-2.0-only WITH Linux-syscall-note */
/*
 * aem.h - the user-space ABI of the Asynchronous Event Mechanism (/dev/aem)
 *
 * This header is the single source of truth for the ABI shared by
 * aem_core.ko, the service modules, libaem and the Node-API binding.
 *
 * Model
 * -----
 * Each open file of /dev/aem is a context.  A context binds services by
 * name and version (AEM_IOC_LOOKUP), registers events through a service's
 * calls (AEM_IOC_ENTRY), controls them (AEM_IOC_EVCTL), runs a service's own
 * operations on them (AEM_IOC_CONTROL: the udp service's batch send) and
 * receives their activations as records in a ring shared with user space
 * (AEM_IOC_RING_SETUP then mmap()).  Closing the last reference to the file
 * (fd and mappings) tears down every event of the context.
 *
 * Argument structs have explicit padding; every reserved field and every
 * padding field must be zero on input, and unknown flag bits are refused,
 * so later ABI versions can give them a meaning.
 *
 * Ring layout (offsets into the mmap space of the fd)
 * ---------------------------------------------------
 *
 *   0            consumer page: struct aem_ring_consumer, mapped read-write
 *   PAGE_SIZE    producer page: struct aem_ring_producer, mapped read-only
 *   2*PAGE_SIZE  data area, data_size bytes (a power of two), read-only
 *
 * Map the consumer page with PROT_READ|PROT_WRITE at offset 0 and the
 * producer page plus data area with PROT_READ at offset PAGE_SIZE; a
 * writable mapping of anything but the consumer page is refused.
 *
 * Positions are free-running 64-bit byte counts that never wrap in
 * practice; the byte at position p lives at data[p & (data_size - 1)].
 * Records are 8-byte aligned.  A record never straddles the end of the data
 * area: when the tail is too small the producer fills it with an
 * AEM_REC_PAD record (only its first 8 bytes, len and type, are meaningful)
 * and continues at the start.
 *
 * Ordering (the one subtle part)
 * ------------------------------
 *
 *   kernel (producer)                    user (consumer)
 *   cons = load_acquire(consumer_pos)
 *   if (prod + len - cons > size) full
 *   write record at prod
 *   store_release(producer_pos,          prod = load_acquire(producer_pos)
 *                 prod + len)  ------->  read records in [cons, prod)
 *                              <-------  store_release(consumer_pos, prod)
 *
 * The producer's release store publishes the record bytes before the new
 * position; the consumer's acquire load pairs with it, so it never reads
 * a record before it is complete.  The consumer's release store orders its
 * reads of the records before handing the space back; the producer's
 * acquire load of consumer_pos pairs with it, so the kernel never
 * overwrites bytes the consumer is still reading.  The kernel treats
 * consumer_pos as untrusted: a value outside [producer_pos - data_size,
 * producer_pos] makes the ring count as full for that context only.
 *
 * Full ring
 * ---------
 * An activation that finds the ring full is not lost.  The event is queued
 * in the kernel (at most once per event) and the service coalesces further
 * activations into it (a timer counts expirations).  AEM_RING_F_BACKLOG is
 * set in the producer page while such events wait; after consuming, call
 * AEM_IOC_FLUSH (or poll()) to move them into the ring.  Records that a
 * service cannot coalesce and that do not fit are counted in `dropped'
 * and set the sticky AEM_RING_F_OVERFLOW flag.  The timers service never
 * drops records.
 *
 * Deferred work
 * -------------
 * Some services do part of their work in the consumer's own process
 * context: reading a socket (so bytes are taken from it only when the ring
 * has room for them) and installing accepted file descriptors (which must
 * go into the consumer's fd table).  Such events wait in the kernel, count
 * in `backlog' and set AEM_RING_F_BACKLOG like a full ring's; the work runs
 * when the consumer calls poll() (epoll_wait() included) or AEM_IOC_FLUSH,
 * so a consumer that drains and flushes as described above needs nothing
 * else.
 */
#ifndef _UAPI_LINUX_AEM_H
#define _UAPI_LINUX_AEM_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define AEM_ABI_VERSION		1

#define AEM_DEVICE_NAME		"aem"		/* /dev/aem */

/* Service versions: major.minor.patch packed as 0x00MMmmpp. */
#define AEM_VERSION(major, minor, patch) \
	((((__u32)(major) & 0xff) << 16) | (((__u32)(minor) & 0xff) << 8) | \
	 ((__u32)(patch) & 0xff))
#define AEM_VERSION_MAJOR(v)	(((v) >> 16) & 0xff)
#define AEM_VERSION_MINOR(v)	(((v) >> 8) & 0xff)
#define AEM_VERSION_PATCH(v)	((v) & 0xff)

#define AEM_NAME_MAX		32	/* service name, NUL included */
#define AEM_CALLS_PER_SERVICE	256	/* call numbers: id * 256 + n */
#define AEM_ARGS_MAX		256	/* bytes of entry arguments */
#define AEM_PRIO_MAX		255

/**
 * struct aem_abi_info - AEM_IOC_ABI_INFO output
 * @abi_version: AEM_ABI_VERSION of the running aem_core
 * @page_size: the kernel's PAGE_SIZE (mmap offsets are multiples of it)
 * @max_ring_pages: largest data area, in pages, of one context's ring
 * @max_events: most live events one context may hold
 * @max_bindings: most services one context may bind
 * @record_header_size: sizeof(struct aem_record)
 * @reserved: zero
 */
struct aem_abi_info {
	__u32 abi_version;
	__u32 page_size;
	__u32 max_ring_pages;
	__u32 max_events;
	__u32 max_bindings;
	__u32 record_header_size;
	__u64 reserved[3];
};

/**
 * struct aem_ring_setup - AEM_IOC_RING_SETUP argument
 * @data_pages: in: pages in the data area, a power of two,
 *	1..max_ring_pages
 * @flags: in: zero (none defined)
 * @data_size: out: bytes in the data area
 * @consumer_offset: out: mmap offset of the consumer page (0)
 * @producer_offset: out: mmap offset of the producer page (PAGE_SIZE)
 * @data_offset: out: mmap offset of the data area (2 * PAGE_SIZE); it is
 *	mapped together with the producer page
 * @reserved: zero on input
 *
 * A context's ring is set up once; a second call fails with EBUSY.
 */
struct aem_ring_setup {
	__u32 data_pages;
	__u32 flags;
	__u64 data_size;
	__u64 consumer_offset;
	__u64 producer_offset;
	__u64 data_offset;
	__u64 reserved[2];
};

/**
 * struct aem_ring_consumer - the consumer page (user-writable)
 * @consumer_pos: bytes consumed so far; written by user space only, with
 *	release semantics
 */
struct aem_ring_consumer {
	__u64 consumer_pos;
};

/* struct aem_ring_producer.flags */
#define AEM_RING_F_OVERFLOW	(1U << 0)	/* sticky: a record was dropped */
#define AEM_RING_F_BACKLOG	(1U << 1)	/* events wait: AEM_IOC_FLUSH */

/**
 * struct aem_ring_producer - the producer page (read-only for user space)
 * @producer_pos: bytes produced so far; stored with release semantics
 * @dropped: records lost because they neither fit nor coalesce
 * @flags: AEM_RING_F_*
 * @data_size: bytes in the data area
 * @backlog: events currently waiting for room in the ring
 * @reserved: zero
 */
struct aem_ring_producer {
	__u64 producer_pos;
	__u64 dropped;
	__u32 flags;
	__u32 data_size;
	__u32 backlog;
	__u32 reserved;
};

/* struct aem_record.type */
#define AEM_REC_PAD		0	/* skip len bytes */
#define AEM_REC_TIMER		1	/* payload: struct aem_timer_record */
#define AEM_REC_TCP		2	/* payload: struct aem_tcp_record, bytes */
#define AEM_REC_UDP		3	/* payload: struct aem_udp_record, bytes */

#define AEM_RECORD_ALIGN	8

/*
 * Largest record any service writes, header included: a whole UDP datagram
 * (65,527 bytes at most) with its record and address headers fits.  Most
 * records are far smaller (timers: 40 bytes; TCP: at most a page).  A
 * consumer sizes its copy buffers from this; a ring meant for services that
 * write large records should hold at least two of them (a record that can
 * never fit this context's ring is refused by the service, and counted).
 */
#define AEM_RECORD_MAX		(64 * 1024 + 64)

/**
 * struct aem_record - one activation in the ring
 * @len: bytes of this record, header included, a multiple of 8
 * @type: AEM_REC_*
 * @priority: the event's priority when the record was written
 * @flags: zero (none defined yet)
 * @event_id: the event, as returned by AEM_IOC_ENTRY
 * @user_data: the value given at entry, returned untouched
 * @payload: service-defined, len - sizeof(struct aem_record) bytes
 *
 * Records of an event may still be in the ring after its shutdown; a
 * consumer ignores records of events it no longer knows.
 */
struct aem_record {
	__u32 len;
	__u16 type;
	__u8 priority;
	__u8 flags;
	__u64 event_id;
	__u64 user_data;
	__u8 payload[];
};

/* AEM_IOC_LOOKUP flags */
#define AEM_LOOKUP_EXACT	(1U << 0)	/* exactly this version */

/**
 * struct aem_lookup - AEM_IOC_LOOKUP argument (the seed's GET_SYSNR)
 * @name: in: service name, NUL-terminated, [a-z0-9_-], bytes after the NUL
 *	zero
 * @version: in: the version wanted; the newest loaded version with the same
 *	major and at least this minor.patch is bound (exactly it with
 *	AEM_LOOKUP_EXACT); out: the version bound
 * @flags: in: AEM_LOOKUP_*
 * @service_id: out: the id to pass to AEM_IOC_ENTRY
 * @first_call: out: first call number of the service
 * @ncalls: out: number of calls; valid calls are
 *	[first_call, first_call + ncalls)
 * @reserved0: zero on input
 * @reserved: zero on input
 *
 * The binding is the context's: it keeps this version even after a newer
 * one is loaded.  When the bound version is unloaded, AEM_IOC_ENTRY with
 * its id fails with ENOENT and the context looks up again.
 */
struct aem_lookup {
	char name[AEM_NAME_MAX];
	__u32 version;
	__u32 flags;
	__u32 service_id;
	__u32 first_call;
	__u32 ncalls;
	__u32 reserved0;
	__u64 reserved[2];
};

/* AEM_IOC_ENTRY flags */
#define AEM_ENTRY_F_START	(1U << 0)	/* start the event at once */

/**
 * struct aem_entry - AEM_IOC_ENTRY argument (the seed's aem_entry)
 * @service_id: in: from AEM_IOC_LOOKUP, bound by this context
 * @call: in: a call number in the service's range
 * @args: in: user pointer to the call's argument struct
 * @args_len: in: its size, at most AEM_ARGS_MAX
 * @flags: in: AEM_ENTRY_F_*
 * @user_data: in: returned in every record of the event
 * @priority: in: 0..AEM_PRIO_MAX
 * @reserved0: zero
 * @event_id: out: the new event's id (never 0); zero on input
 * @reserved: zero on input
 *
 * Fails with ENXIO before the ring is set up, ENOENT when @service_id is
 * not bound by this context or its version is gone, ENOSPC at the
 * context's event limit, EINVAL for a bad call or arguments.
 */
struct aem_entry {
	__u32 service_id;
	__u32 call;
	__u64 args;
	__u32 args_len;
	__u32 flags;
	__u64 user_data;
	__u32 priority;
	__u32 reserved0;
	__u64 event_id;
	__u64 reserved[2];
};

/* AEM_IOC_EVCTL operations (the seed's EVJOB*) */
#define AEM_EVCTL_START		1	/* arm / activate */
#define AEM_EVCTL_STOP		2	/* disarm, keep the event */
#define AEM_EVCTL_SHUTDOWN	3	/* destroy the event */
#define AEM_EVCTL_PRIO		4	/* set priority to @value */

/**
 * struct aem_evctl - AEM_IOC_EVCTL argument (the seed's aem_evctl)
 * @event_id: in: an event of this context
 * @op: in: AEM_EVCTL_*
 * @value: in: the priority for AEM_EVCTL_PRIO, zero otherwise
 * @reserved: zero
 */
struct aem_evctl {
	__u64 event_id;
	__u32 op;
	__u32 value;
	__u64 reserved[2];
};

/* Largest argument of AEM_IOC_CONTROL, in bytes (a service may take less). */
#define AEM_CONTROL_ARG_MAX	(64U << 20)

/**
 * struct aem_control - AEM_IOC_CONTROL argument: a service's own operation
 *	on one of its events
 * @event_id: in: an event of this context
 * @op: in: the operation, numbered by the event's service (the udp
 *	service's AEM_UDP_OP_*)
 * @flags: in: zero (none defined)
 * @arg: in: user pointer to the operation's argument, in the service's
 *	format; the service may write results back into it
 * @arg_len: in: its size in bytes, at most AEM_CONTROL_ARG_MAX
 * @reserved0: zero
 * @reserved: zero
 *
 * The core checks the struct and finds the event, and hands the operation
 * to the event's service, which reads (and validates) the argument from
 * user memory itself: an argument may be large (a batch of datagrams), so
 * the core copies nothing.  Returns the service's result, a non-negative
 * number defined by the operation.  Fails with ENXIO before the ring is set
 * up, ENOENT for an unknown event, EOPNOTSUPP when the event's service has
 * no operations, EINVAL for bad fields here or an operation the service
 * does not know, EFAULT for a bad pointer, and the operation's own errors.
 */
struct aem_control {
	__u64 event_id;
	__u32 op;
	__u32 flags;
	__u64 arg;
	__u32 arg_len;
	__u32 reserved0;
	__u64 reserved[2];
};

/* The timers service ("timers"), calls relative to first_call. */
#define AEM_TIMERS_NAME		"timers"
#define AEM_TIMER_CALL_CREATE	0

/**
 * struct aem_timer_args - argument of AEM_TIMER_CALL_CREATE
 * @initial_ns: first expiry, nanoseconds after start (> 0)
 * @interval_ns: period after the first expiry; 0 for a one-shot timer
 * @flags: zero (none defined)
 * @reserved: zero
 *
 * START (re)arms the timer from now; STOP disarms it.  A one-shot timer
 * stays as a stopped event after it expires and may be started again.
 */
struct aem_timer_args {
	__u64 initial_ns;
	__u64 interval_ns;
	__u32 flags;
	__u32 reserved;
};

/**
 * struct aem_timer_record - payload of AEM_REC_TIMER
 * @expirations: expiries since the previous record of this event (> 1
 *	when they coalesced: a full ring or an overrun period)
 * @time_ns: CLOCK_MONOTONIC time of the last of them
 */
struct aem_timer_record {
	__u64 expirations;
	__u64 time_ns;
};

/*
 * The TCP service ("tcp"), calls relative to first_call.
 *
 * LISTENER attaches an event to a listening TCP socket of the caller; each
 * connection it accepts becomes one AEM_TCP_ACCEPT record whose value is a
 * new file descriptor in the caller's fd table (O_NONBLOCK, O_CLOEXEC),
 * installed in the caller's own context while it polls or flushes, and
 * only once the record is in the ring (a record never names an fd that is
 * not installed, and no fd is installed without its record).
 *
 * CONNECTION attaches an event to a connected (or, with AEM_TCP_F_CONNECT,
 * connecting after a non-blocking connect(), or already failed) TCP socket:
 * AEM_TCP_CONNECTED once with AEM_TCP_F_CONNECT, AEM_TCP_DATA records with the bytes in arrival order, then
 * one AEM_TCP_PEER_CLOSED (the peer's FIN) or AEM_TCP_ERROR, after which no
 * record but AEM_TCP_WRITABLE follows.  Bytes are read only when the ring
 * has room for them; the rest stays in the socket, so TCP's window closes
 * and the peer slows down.  Writing stays write()/writev() on the fd; after
 * one of them hit EAGAIN (or wrote short), an AEM_TCP_WRITABLE record
 * follows when the socket has room again.
 *
 * The first START attaches (the socket's callbacks are saved and replaced).
 * STOP pauses reading (or accepting): what arrives stays in the socket and
 * TCP's window closes; WRITABLE is still reported.  START resumes, and on a
 * started connection reports AEM_TCP_WRITABLE at once if the socket has
 * room (call it after EAGAIN to close the race with the peer's ACKs).
 * Nothing is lost or reordered across STOP and START.  SHUTDOWN (and
 * closing the context) detaches: the socket's own callbacks are restored,
 * and bytes read from the socket but not yet in the ring (at most one
 * chunk, only while the ring is full) go with the event.
 *
 * The event holds a reference on the socket's file: closing the fd does
 * not close the socket while an event is attached; shut the event down
 * first.
 */
#define AEM_TCP_NAME		"tcp"
#define AEM_TCP_CALL_LISTENER	0
#define AEM_TCP_CALL_CONNECTION	1

/* struct aem_tcp_args.flags */
#define AEM_TCP_F_CONNECT	(1U << 0)	/* CONNECTION: report CONNECTED */

/* Most data bytes in one record: a record of the service fills a page. */
#define AEM_TCP_CHUNK_MAX	4056
#define AEM_TCP_CHUNK_MIN	64

/**
 * struct aem_tcp_args - argument of both calls
 * @fd: a TCP socket (AF_INET or AF_INET6) of the calling process
 * @flags: CONNECTION: AEM_TCP_F_CONNECT or zero; LISTENER: zero
 * @chunk: CONNECTION: most data bytes per record, AEM_TCP_CHUNK_MIN..
 *	AEM_TCP_CHUNK_MAX, or 0 for AEM_TCP_CHUNK_MAX; LISTENER: zero
 * @reserved: zero
 *
 * Fails with EBADF for a bad fd, ENOTSOCK for a file that is no socket,
 * EINVAL for a socket that is not TCP or not in a state the call takes
 * (LISTENER: listening; CONNECTION: established or half closed, and with
 * AEM_TCP_F_CONNECT also connecting or closed by a failed connect, whose
 * error then comes as AEM_TCP_ERROR), EBUSY (at START) when the socket is already attached.
 */
struct aem_tcp_args {
	__s32 fd;
	__u32 flags;
	__u32 chunk;
	__u32 reserved;
};

/* struct aem_tcp_record.kind */
#define AEM_TCP_ACCEPT		1	/* value: new fd; struct aem_tcp_addr */
#define AEM_TCP_DATA		2	/* len bytes of data follow */
#define AEM_TCP_CONNECTED	3	/* established (AEM_TCP_F_CONNECT) */
#define AEM_TCP_WRITABLE	4	/* room in the socket after EAGAIN */
#define AEM_TCP_PEER_CLOSED	5	/* the peer's FIN, after all its data */
#define AEM_TCP_ERROR		6	/* value: positive errno */

/**
 * struct aem_tcp_record - payload of AEM_REC_TCP
 * @kind: AEM_TCP_*
 * @flags: zero
 * @len: bytes following this header (DATA: the data; ACCEPT: the address)
 * @value: ACCEPT: the new fd; ERROR: a positive errno (on a listener the
 *	connection stays queued for EMFILE and ENFILE, and START retries);
 *	otherwise 0
 * @data: @len bytes
 */
struct aem_tcp_record {
	__u16 kind;
	__u16 flags;
	__u32 len;
	__s64 value;
	__u8 data[];
};

/**
 * struct aem_tcp_addr - the peer of an accepted connection
 * @family: AF_INET or AF_INET6
 * @port: the peer's port, host byte order
 * @scope_id: AF_INET6 scope id, else 0
 * @addr: network byte order; 4 bytes used for AF_INET
 */
struct aem_tcp_addr {
	__u16 family;
	__u16 port;
	__u32 scope_id;
	__u8 addr[16];
};

/*
 * The UDP service ("udp"), calls relative to first_call.
 *
 * SOCKET attaches an event to a bound UDP socket (AF_INET or AF_INET6) of
 * the caller.  Every datagram that arrives becomes one AEM_UDP_DATAGRAM
 * record carrying the peer's address, the payload (the whole datagram,
 * never truncated) and the kernel's receive time; the consumer's poll or
 * flush moves every queued datagram into the ring in one pass, so one
 * wake-up brings as many datagrams as arrived.  Datagrams are taken from
 * the socket only when the ring has room for them: one that does not fit
 * waits in the kernel (the event's, in order, and the backlog flag is set)
 * until the consumer makes room and flushes; the rest stay in the socket,
 * which drops what its receive buffer cannot hold, as for any reader.  The
 * socket's drop count (sk_drops: a full receive buffer, bad checksums, a
 * datagram larger than this context's ring) comes as an AEM_UDP_DROPS
 * record whenever it changed.
 *
 * Sending is AEM_IOC_CONTROL with AEM_UDP_OP_SEND: a batch of datagrams in
 * one call (struct aem_udp_send, then each datagram as struct aem_udp_msg
 * and its bytes), each sent with MSG_DONTWAIT as sendto() would.  A batch
 * stops at the first datagram the socket's send buffer cannot take
 * (EAGAIN): AEM_UDP_SEND_BLOCKED is set, and an AEM_UDP_WRITABLE record
 * follows once there is room again; any other error counts that datagram
 * as refused and the batch goes on.
 *
 * The first START attaches (the socket's sk_data_ready and sk_write_space
 * are saved and replaced, and kernel receive timestamps are enabled);
 * STOP pauses reading (datagrams stay in the socket; WRITABLE is still
 * reported); START resumes.  SHUTDOWN (and closing the context) detaches
 * and restores the socket; a datagram taken from the socket but not yet in
 * the ring (only while the ring is full) goes with the event and counts in
 * sk_drops.  The event holds a reference on the socket's file: closing the
 * fd does not close the socket while an event is attached.  Do not read the
 * socket yourself while attached: each datagram reaches one reader.
 */
#define AEM_UDP_NAME		"udp"
#define AEM_UDP_CALL_SOCKET	0

/* Largest datagram AEM_UDP_OP_SEND takes (the IPv4 maximum payload). */
#define AEM_UDP_DATAGRAM_MAX	65507

/**
 * struct aem_udp_args - argument of AEM_UDP_CALL_SOCKET
 * @fd: a bound UDP socket (AF_INET or AF_INET6) of the calling process,
 *	without UDP_GRO
 * @flags: zero (none defined)
 * @reserved: zero
 *
 * Fails with EBADF for a bad fd, ENOTSOCK for a file that is no socket,
 * EINVAL for a socket that is not UDP, not bound or has UDP_GRO on, EBUSY
 * (at START) when the socket is already attached.
 */
struct aem_udp_args {
	__s32 fd;
	__u32 flags;
	__u64 reserved;
};

/**
 * struct aem_udp_addr - a UDP peer
 * @family: AF_INET or AF_INET6 (an IPv4 peer of an AF_INET6 socket is an
 *	IPv4-mapped IPv6 address, as recvfrom() reports it)
 * @port: host byte order
 * @scope_id: AF_INET6 scope id (link-local peers), else 0
 * @addr: network byte order; AF_INET uses the first 4 bytes, the rest zero
 */
struct aem_udp_addr {
	__u16 family;
	__u16 port;
	__u32 scope_id;
	__u8 addr[16];
};

/* struct aem_udp_record.kind */
#define AEM_UDP_DATAGRAM	1	/* value: receive time; addr + payload */
#define AEM_UDP_DROPS		2	/* value: the socket's sk_drops */
#define AEM_UDP_WRITABLE	3	/* room to send after BLOCKED */
#define AEM_UDP_ERROR		4	/* value: positive errno */

/**
 * struct aem_udp_record - payload of AEM_REC_UDP
 * @kind: AEM_UDP_*
 * @flags: zero
 * @len: bytes following this header (DATAGRAM: struct aem_udp_addr, then
 *	len - sizeof(struct aem_udp_addr) bytes of payload; others: 0)
 * @value: DATAGRAM: the time the kernel received it, CLOCK_REALTIME in
 *	nanoseconds (the skb's timestamp; the time it was moved into the
 *	ring when the datagram arrived before timestamps were on); DROPS: the
 *	socket's drop count since it was created; ERROR: a positive errno the
 *	socket reported (an ICMP error on a connected socket), after which
 *	reading goes on; otherwise 0
 * @data: @len bytes
 *
 * The header has the layout of struct aem_tcp_record.
 */
struct aem_udp_record {
	__u16 kind;
	__u16 flags;
	__u32 len;
	__s64 value;
	__u8 data[];
};

/* AEM_IOC_CONTROL operations of the udp service */
#define AEM_UDP_OP_SEND		1	/* struct aem_udp_send, then messages */

/* Most datagrams and bytes (headers included) of one AEM_UDP_OP_SEND */
#define AEM_UDP_SEND_COUNT_MAX	1024
#define AEM_UDP_SEND_BYTES_MAX	(8U << 20)

/* struct aem_udp_send.status */
#define AEM_UDP_SEND_BLOCKED	(1U << 0)	/* stopped at EAGAIN */

/**
 * struct aem_udp_send - the head of AEM_UDP_OP_SEND's argument
 * @count: in: messages following, 1..AEM_UDP_SEND_COUNT_MAX
 * @flags: in: zero
 * @done: out: messages handled (sent or refused), from the first; the
 *	rest were not tried (BLOCKED)
 * @sent: out: datagrams handed to the network stack
 * @errors: out: datagrams refused (done - sent)
 * @first_error: out: positive errno of the first refused datagram, or 0
 * @status: out: AEM_UDP_SEND_*
 * @first_failed: out: index of the first refused datagram (valid when
 *	@errors is not 0)
 *
 * Every out field must be zero on input.  The argument is this struct
 * followed by @count messages, each a struct aem_udp_msg and its len bytes
 * padded with zeros to a multiple of 8; arg_len covers exactly that, at
 * most AEM_UDP_SEND_BYTES_MAX.  A datagram with a bad address (family,
 * non-zero unused bytes) is refused with EINVAL, one longer than
 * AEM_UDP_DATAGRAM_MAX with EMSGSIZE, and one the stack refuses with its
 * errno; sending goes on with the next.  The call itself fails with EINVAL
 * (nothing sent) for a bad head, a count out of range or an argument whose
 * length does not match its messages, EFAULT for bad memory (the out
 * fields then describe what was sent before it), and EINVAL when the event
 * was never started.  It returns @done.
 */
struct aem_udp_send {
	__u32 count;
	__u32 flags;
	__u32 done;
	__u32 sent;
	__u32 errors;
	__s32 first_error;
	__u32 status;
	__u32 first_failed;
};

/**
 * struct aem_udp_msg - one datagram of AEM_UDP_OP_SEND
 * @addr: the destination
 * @len: payload bytes following, 0..AEM_UDP_DATAGRAM_MAX
 * @flags: zero
 */
struct aem_udp_msg {
	struct aem_udp_addr addr;
	__u32 len;
	__u32 flags;
};

/* 0xE7 is unassigned in Documentation/userspace-api/ioctl/ioctl-number.rst */
#define AEM_IOC_MAGIC		0xE7

#define AEM_IOC_ABI_INFO	_IOR(AEM_IOC_MAGIC, 0x00, struct aem_abi_info)
#define AEM_IOC_RING_SETUP	_IOWR(AEM_IOC_MAGIC, 0x01, struct aem_ring_setup)
#define AEM_IOC_LOOKUP		_IOWR(AEM_IOC_MAGIC, 0x02, struct aem_lookup)
#define AEM_IOC_ENTRY		_IOWR(AEM_IOC_MAGIC, 0x03, struct aem_entry)
#define AEM_IOC_EVCTL		_IOW(AEM_IOC_MAGIC, 0x04, struct aem_evctl)
/* Move waiting events into the ring; returns the number of records. */
#define AEM_IOC_FLUSH		_IO(AEM_IOC_MAGIC, 0x05)
#define AEM_IOC_CONTROL		_IOW(AEM_IOC_MAGIC, 0x06, struct aem_control)

#endif /* _UAPI_LINUX_AEM_H */
