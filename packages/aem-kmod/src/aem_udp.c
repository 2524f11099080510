// SPDX-License-Identifier: GPL-2.0-only
/*
 * aem_udp.c - the AEM UDP service: every datagram queued on a socket moved
 * into the ring in one pass of the consumer's poll, and a batch of
 * datagrams sent in one ioctl
 *
 * One call, SOCKET, attaches an event to a bound UDP socket the process
 * owns.  Each datagram becomes one AEM_UDP_DATAGRAM record (the peer's
 * address, the whole payload, the kernel's receive time); the socket's drop
 * count comes as AEM_UDP_DROPS when it changed.  Sending is AEM_IOC_CONTROL
 * with AEM_UDP_OP_SEND: a batch of datagrams, each handed to the stack as
 * sendto() would, in one system call.  START attaches (later: resumes),
 * STOP pauses reading, SHUTDOWN detaches.  The ABI is in <uapi/linux/aem.h>.
 *
 * Where the work runs
 *   As in aem_tcp: sk_data_ready (softirq) only marks the event deferred
 *   (aem_event_defer()), which wakes the consumer, and prepare(), run by
 *   aem_core in the consumer's own poll() (epoll_wait() included) or
 *   AEM_IOC_FLUSH, takes the datagrams off the socket.  So a burst costs
 *   one wake-up and one pass, however many datagrams it holds: that is
 *   the point of this service, since node:dgram pays a system call and a
 *   JavaScript callback per datagram.
 *
 * Receiving without a staging copy
 *   prepare() dequeues each skb itself (__skb_recv_udp(), the lockless
 *   reader queue udp_recvmsg() uses), verifies the checksum when the device
 *   did not, and copies the payload straight from the skb into the ring
 *   (aem_event_emit_copy(): skb_copy_bits() under the ring lock), then
 *   frees it with skb_consume_udp().  What udp_recvmsg() does besides
 *   (cmsgs, peeking, cgroup BPF address rewriting) has no meaning here.
 *
 * Flow control
 *   An skb that does not fit the ring stays in u->skb, taken but not
 *   reported; prepare() returns -EAGAIN, which keeps the event deferred and
 *   AEM_RING_F_BACKLOG set, and resumes with it once the consumer made room
 *   and flushed.  The rest stays in the socket, which drops what its
 *   receive buffer cannot hold (counted in sk_drops, reported).  Nothing is
 *   reordered: only prepare() reads, under the context mutex, one skb ahead
 *   at most.
 *
 * Sending and writable
 *   The batch is read from user memory in two passes: the first checks that
 *   the messages tile the argument exactly (else EINVAL, nothing sent), the
 *   second sends each one with sock_sendmsg() over a user-memory iterator
 *   (what sendto() does: the bytes are copied once, into the skb).  At the
 *   first EAGAIN (a full send buffer) the batch stops and the event arms
 *   u->want_write; our sk_write_space then activates a WRITABLE record once
 *   the socket has room (sock_writeable(), as sock_def_write_space() wakes
 *   writers).  Arming sets the flag, then checks, so room that appeared in
 *   between is reported too; the xchg on want_write makes it one record.
 *
 * Attaching and detaching
 *   As aem_tcp's connections (the nvmet-tcp and sunrpc pattern):
 *   sk_data_ready, sk_write_space and sk_error_report saved and replaced,
 *   and sk_user_data set, under write_lock_bh(&sk->sk_callback_lock);
 *   detach restores them under the same lock, and our callbacks read
 *   sk_user_data under the read lock, so once detach returns no callback
 *   holds the event.  A callback
 *   that loaded our function pointer just before the restore finds
 *   sk_user_data NULL and chains to the restored one; the module's exit
 *   waits for such callers with synchronize_rcu().  Attach also enables the
 *   kernel's receive timestamps (net_enable_timestamp(), a global switch
 *   counted per user, released at detach), so skb->tstamp carries the time
 *   the datagram reached the host.
 *
 * Lifetimes
 *   The event holds the socket's file (fget() at create, fput() at
 *   destroy), so the socket lives while attached even when user space
 *   closes its fd.  aem_core holds a module reference per event and tears
 *   every event down when the context's file goes (the process dying
 *   included).  destroy() frees an skb still taken and not reported, and
 *   counts it in sk_drops.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/aem_service.h>
#include <linux/atomic.h>
#include <linux/file.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/ipv6.h>
#include <linux/module.h>
#include <linux/net.h>
#include <linux/netdevice.h>
#include <linux/sched/signal.h>
#include <linux/skbuff.h>
#include <linux/slab.h>
#include <linux/socket.h>
#include <linux/uaccess.h>
#include <linux/uio.h>
#include <net/inet_sock.h>
#include <net/ip.h>
#include <net/ipv6.h>
#include <net/sock.h>
#include <net/udp.h>

/* Datagrams one prepare() moves before yielding to the other events. */
#define AEM_UDP_BUDGET		1024

/**
 * struct aem_udp - the private state of one socket event
 * @ev: the event
 * @file: the socket's file, pinned from create to destroy
 * @sock: the socket of @file
 * @attached: callbacks installed; under the context mutex, like @tstamp,
 *	@skb, @err and @drops
 * @tstamp: this event holds one net_enable_timestamp()
 * @paused: STOP: nothing is read until START; read by the callbacks without
 *	a lock (a stale value costs one useless defer, or none: START defers
 *	anyway)
 * @want_write: a send batch stopped at EAGAIN: report when there is room;
 *	set by control, taken by whoever sees room first
 * @writable: a WRITABLE record is owed; set when @want_write is taken,
 *	taken by fill
 * @saved_data_ready: the socket's callbacks before attach; written under
 *	sk_callback_lock, read under it by our callbacks
 * @saved_write_space: see @saved_data_ready
 * @saved_error_report: see @saved_data_ready
 * @skb: a datagram taken from the socket and not yet in the ring
 * @err: a socket error (positive errno) read and not yet in the ring
 * @drops: the socket's sk_drops as last reported
 */
struct aem_udp {
	struct aem_event *ev;
	struct file *file;
	struct socket *sock;
	bool attached;
	bool tstamp;
	bool paused;
	atomic_t want_write;
	atomic_t writable;
	void (*saved_data_ready)(struct sock *sk);
	void (*saved_write_space)(struct sock *sk);
	void (*saved_error_report)(struct sock *sk);
	struct sk_buff *skb;
	int err;
	int drops;
};

/* ---- callbacks (softirq or process context) ---------------------------- */

static struct aem_udp *aem_udp_of(struct sock *sk)
{
	return __locked_read_sk_user_data_with_flags(sk, 0);
}

static void aem_udp_data_ready(struct sock *sk);
static void aem_udp_write_space(struct sock *sk);
static void aem_udp_error_report(struct sock *sk);

/* Room to send, reported once per batch that stopped at EAGAIN. */
static void aem_udp_room(struct aem_udp *u, struct sock *sk)
{
	if (sock_writeable(sk) && atomic_xchg(&u->want_write, 0)) {
		atomic_set(&u->writable, 1);
		aem_event_activate(u->ev);
	}
}

/*
 * The three callbacks.  Under the read lock: find the event and do its
 * part, and take the callback to chain to (the saved one; detached under
 * us, the restored one); call it after unlocking.
 *
 * sk_data_ready: a datagram was queued; sk_error_report: an ICMP error on
 * a connected socket set sk_err without data (prepare() reads it, as the
 * reader's sock_error()); both defer.  sk_write_space: sock_wfree() calls
 * it as each sent skb is freed: report room if a batch waits for it.
 */
static void aem_udp_callback(struct sock *sk, void (*self)(struct sock *sk))
{
	void (*next)(struct sock *sk);
	struct aem_udp *u;

	read_lock_bh(&sk->sk_callback_lock);
	u = aem_udp_of(sk);
	if (self == aem_udp_write_space) {
		/*
		 * Pairs with the barrier in aem_udp_send(): sock_wfree() lowered
		 * sk_wmem_alloc before calling us; either this load sees the
		 * batch's want_write, or its check sees the room.
		 */
		smp_mb();
		if (u && atomic_read(&u->want_write))
			aem_udp_room(u, sk);
		next = u ? u->saved_write_space : READ_ONCE(sk->sk_write_space);
	} else {
		if (u && !READ_ONCE(u->paused))
			aem_event_defer(u->ev);
		if (self == aem_udp_data_ready)
			next = u ? u->saved_data_ready :
				   READ_ONCE(sk->sk_data_ready);
		else
			next = u ? u->saved_error_report :
				   READ_ONCE(sk->sk_error_report);
	}
	read_unlock_bh(&sk->sk_callback_lock);
	if (next && next != self)
		next(sk);
}

static void aem_udp_data_ready(struct sock *sk)
{
	aem_udp_callback(sk, aem_udp_data_ready);
}

static void aem_udp_write_space(struct sock *sk)
{
	aem_udp_callback(sk, aem_udp_write_space);
}

static void aem_udp_error_report(struct sock *sk)
{
	aem_udp_callback(sk, aem_udp_error_report);
}

/* ---- records ----------------------------------------------------------- */

/* A record without bytes: DROPS, ERROR. */
static int aem_udp_emit(struct aem_udp *u, u16 kind, s64 value)
{
	struct aem_udp_record rec = { .kind = kind, .value = value };
	struct kvec vec = { .iov_base = &rec, .iov_len = sizeof(rec) };

	return aem_event_emit(u->ev, &vec, 1);
}

static int aem_udp_fill(struct aem_event *ev, void *payload, u32 room)
{
	struct aem_udp *u = aem_event_priv(ev);
	struct aem_udp_record *rec = payload;

	if (!atomic_xchg(&u->writable, 0))
		return 0;
	memset(rec, 0, sizeof(*rec));
	rec->kind = AEM_UDP_WRITABLE;
	return sizeof(*rec);
}

/* The peer of a received datagram, as recvfrom() would report it. */
static void aem_udp_peer(struct aem_udp_addr *a, const struct sock *sk,
			 const struct sk_buff *skb)
{
	memset(a, 0, sizeof(*a));
	a->port = ntohs(udp_hdr(skb)->source);
	if (skb->protocol == htons(ETH_P_IP)) {
		__be32 saddr = ip_hdr(skb)->saddr;

		if (sk->sk_family == AF_INET6) {
			struct in6_addr mapped;

			ipv6_addr_set_v4mapped(saddr, &mapped);
			a->family = AF_INET6;
			memcpy(a->addr, &mapped, sizeof(mapped));
		} else {
			a->family = AF_INET;
			memcpy(a->addr, &saddr, sizeof(saddr));
		}
		return;
	}
#if IS_ENABLED(CONFIG_IPV6)
	a->family = AF_INET6;
	memcpy(a->addr, &ipv6_hdr(skb)->saddr, sizeof(struct in6_addr));
	a->scope_id = ipv6_iface_scope_id(&ipv6_hdr(skb)->saddr,
					  inet6_iif(skb));
#endif
}

/* What aem_udp_copy() writes: the headers, then the skb's payload. */
struct aem_udp_datagram {
	struct aem_udp_record rec;
	struct aem_udp_addr addr;
	const struct sk_buff *skb;
};

/* Under the ring lock, interrupts off: skb_copy_bits() does not sleep. */
static int aem_udp_copy(void *to, u32 len, void *arg)
{
	const struct aem_udp_datagram *d = arg;

	memcpy(to, &d->rec, sizeof(d->rec));
	memcpy(to + sizeof(d->rec), &d->addr, sizeof(d->addr));
	return skb_copy_bits(d->skb, 0, to + sizeof(d->rec) + sizeof(d->addr),
			     d->skb->len);
}

static int aem_udp_emit_datagram(struct aem_udp *u, const struct sk_buff *skb)
{
	struct aem_udp_datagram d = { .skb = skb };
	ktime_t t = skb->tstamp;

	/* No stamp (it arrived before attach enabled them) or not realtime. */
	if (!t || skb->mono_delivery_time)
		t = ktime_get_real();
	d.rec.kind = AEM_UDP_DATAGRAM;
	d.rec.len = sizeof(d.addr) + skb->len;
	d.rec.value = ktime_to_ns(t);
	aem_udp_peer(&d.addr, u->sock->sk, skb);
	return aem_event_emit_copy(u->ev, sizeof(d.rec) + d.rec.len,
				   aem_udp_copy, &d);
}

/* The UDP MIB counter @field of @sk's family, as udp(v6)_recvmsg() counts. */
static void aem_udp_count(struct sock *sk, const struct sk_buff *skb,
			  int field)
{
#if IS_ENABLED(CONFIG_IPV6)
	if (sk->sk_family == AF_INET6 && skb->protocol != htons(ETH_P_IP)) {
		UDP6_INC_STATS(sock_net(sk), field, 0);
		return;
	}
#endif
	UDP_INC_STATS(sock_net(sk), field, 0);
}

/* A datagram that will never be reported: counted where recvmsg counts. */
static void aem_udp_drop(struct sock *sk, struct sk_buff *skb, bool csum)
{
	atomic_inc(&sk->sk_drops);
	if (csum)
		aem_udp_count(sk, skb, UDP_MIB_CSUMERRORS);
	aem_udp_count(sk, skb, UDP_MIB_INERRORS);
	kfree_skb(skb);
}

/* ---- prepare (the consumer's context, context mutex held) -------------- */

/*
 * Take the next datagram into u->skb.  Returns 0 when taken, -EAGAIN when
 * the socket has none, 1 when something else happened (a socket error
 * staged in u->err, a bad datagram dropped): go on.
 */
static int aem_udp_take(struct aem_udp *u, struct sock *sk)
{
	struct sk_buff *skb;
	int off = 0, err;

	skb = __skb_recv_udp(sk, MSG_DONTWAIT, &off, &err);
	if (!skb) {
		if (err == -EAGAIN)
			return -EAGAIN;	/* sk_data_ready defers us */
		u->err = -err;
		return 1;
	}
	/* A GRO aggregate (UDP_GRO turned on after attach) is no datagram. */
	if (unlikely(skb_is_gso(skb))) {
		aem_udp_drop(sk, skb, false);
		return 1;
	}
	/* The device did not verify the checksum: do it before reporting. */
	if (!udp_skb_csum_unnecessary(skb) &&
	    __udp_lib_checksum_complete(skb)) {
		aem_udp_drop(sk, skb, true);
		return 1;
	}
	u->skb = skb;
	return 0;
}

static int aem_udp_prepare(struct aem_event *ev)
{
	struct aem_udp *u = aem_event_priv(ev);
	unsigned int budget = AEM_UDP_BUDGET;
	struct sock *sk;
	int drops, ret;

	if (!u->attached || u->paused)
		return 0;
	sk = u->sock->sk;
	for (;;) {
		if (u->err) {
			if (aem_udp_emit(u, AEM_UDP_ERROR, u->err))
				return -EAGAIN;	/* ring full: keep it */
			u->err = 0;
		}
		if (!u->skb) {
			if (!budget--)
				return -EAGAIN;	/* more may wait: yield */
			ret = aem_udp_take(u, sk);
			if (ret == -EAGAIN)
				break;
			if (ret)
				continue;
		}
		ret = aem_udp_emit_datagram(u, u->skb);
		if (ret == -ENOSPC)
			return -EAGAIN;	/* ring full: keep the datagram */
		if (ret) {
			/* -EMSGSIZE: larger than this context's ring. */
			aem_udp_drop(sk, u->skb, false);
		} else {
			aem_udp_count(sk, u->skb, UDP_MIB_INDATAGRAMS);
			skb_consume_udp(sk, u->skb, u->skb->len);
		}
		u->skb = NULL;
	}
	/*
	 * The socket drops only while its buffer is full, i.e. while datagrams
	 * wait and another prepare is due: reading the count after the queue
	 * ran dry misses no drop.
	 */
	drops = atomic_read(&sk->sk_drops);
	if (drops != u->drops) {
		if (aem_udp_emit(u, AEM_UDP_DROPS, drops))
			return -EAGAIN;
		u->drops = drops;
	}
	return 0;
}

/* ---- sending (AEM_IOC_CONTROL, context mutex held) --------------------- */

static int aem_udp_sockaddr(const struct aem_udp_addr *a,
			    struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (a->family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		if (a->scope_id || memchr_inv(a->addr + 4, 0, 12))
			return -EINVAL;
		sin->sin_family = AF_INET;
		sin->sin_port = htons(a->port);
		memcpy(&sin->sin_addr, a->addr, 4);
		return sizeof(*sin);
	}
	if (a->family == AF_INET6) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(a->port);
		sin6->sin6_scope_id = a->scope_id;
		memcpy(&sin6->sin6_addr, a->addr, 16);
		return sizeof(*sin6);
	}
	return -EINVAL;
}

/*
 * Read the message header at *@off of the @len-byte argument, check that
 * it and its bytes lie inside, and step *@off past them.  @data gets the
 * user address of the bytes.
 */
static int aem_udp_msg_at(void __user *arg, u32 len, u32 *off,
			  struct aem_udp_msg *m, void __user **data)
{
	u64 end;

	if (len - *off < sizeof(*m))
		return -EINVAL;
	if (copy_from_user(m, arg + *off, sizeof(*m)))
		return -EFAULT;
	end = (u64)*off + sizeof(*m) + ALIGN((u64)m->len, 8);
	if (end > len)
		return -EINVAL;
	*data = arg + *off + sizeof(*m);
	*off = end;
	return 0;
}

/* One datagram, as sendto(MSG_DONTWAIT) would send it. */
static int aem_udp_send_one(struct aem_udp *u, const struct aem_udp_msg *m,
			    void __user *data)
{
	struct sockaddr_storage ss;
	struct msghdr msg = {
		.msg_name = &ss,
		.msg_flags = MSG_DONTWAIT | MSG_NOSIGNAL,
	};
	struct iovec iov;
	int ret;

	if (m->flags)
		return -EINVAL;
	if (m->len > AEM_UDP_DATAGRAM_MAX)
		return -EMSGSIZE;
	ret = aem_udp_sockaddr(&m->addr, &ss);
	if (ret < 0)
		return ret;
	msg.msg_namelen = ret;
	ret = import_single_range(ITER_SOURCE, data, m->len, &iov,
				  &msg.msg_iter);
	if (ret)
		return ret;
	return sock_sendmsg(u->sock, &msg);
}

static long aem_udp_send(struct aem_udp *u, void __user *arg, u32 len)
{
	struct aem_udp_send hd;
	struct aem_udp_msg m;
	void __user *data;
	long ret = 0;
	u32 off, i;

	if (len < sizeof(hd) || len > AEM_UDP_SEND_BYTES_MAX)
		return -EINVAL;
	if (copy_from_user(&hd, arg, sizeof(hd)))
		return -EFAULT;
	if (!hd.count || hd.count > AEM_UDP_SEND_COUNT_MAX || hd.flags ||
	    hd.done || hd.sent || hd.errors || hd.first_error || hd.status ||
	    hd.first_failed)
		return -EINVAL;
	if (!u->attached)
		return -EINVAL;

	/* First pass: the messages tile the argument exactly. */
	off = sizeof(hd);
	for (i = 0; i < hd.count; i++) {
		ret = aem_udp_msg_at(arg, len, &off, &m, &data);
		if (ret)
			return ret;
	}
	if (off != len)
		return -EINVAL;

	/* Second pass: send.  A buffer changed meanwhile is checked again. */
	off = sizeof(hd);
	for (i = 0; i < hd.count; i++) {
		ret = aem_udp_msg_at(arg, len, &off, &m, &data);
		if (ret)
			break;
		ret = aem_udp_send_one(u, &m, data);
		if (ret == -EAGAIN) {
			/* Full send buffer: stop, and say when there is room. */
			hd.status |= AEM_UDP_SEND_BLOCKED;
			atomic_set(&u->want_write, 1);
			smp_mb();	/* pairs with aem_udp_callback() */
			aem_udp_room(u, u->sock->sk);
			ret = 0;
			break;
		}
		if (ret < 0) {
			if (!hd.errors++) {
				hd.first_error = -ret;
				hd.first_failed = hd.done;
			}
		} else {
			hd.sent++;
		}
		hd.done++;
		ret = 0;
		if (fatal_signal_pending(current))
			break;	/* the caller is dying: nobody waits */
		cond_resched();
	}
	if (copy_to_user(arg, &hd, sizeof(hd)))
		return -EFAULT;
	return ret ? ret : hd.done;
}

static long aem_udp_control(struct aem_event *ev, u32 op, void __user *arg,
			    u32 len)
{
	struct aem_udp *u = aem_event_priv(ev);

	if (op != AEM_UDP_OP_SEND)
		return -EINVAL;
	return aem_udp_send(u, arg, len);
}

/* ---- operations -------------------------------------------------------- */

static bool aem_udp_gro(struct sock *sk)
{
#ifdef udp_test_bit
	return udp_test_bit(GRO_ENABLED, sk);
#else
	return udp_sk(sk)->gro_enabled;
#endif
}

static int aem_udp_create(struct aem_event *ev, u32 call, const void *args,
			  u32 len)
{
	const struct aem_udp_args *ua = args;
	struct socket *sock;
	struct aem_udp *u;
	struct file *file;
	struct sock *sk;
	int ret;

	if (call != AEM_UDP_CALL_SOCKET || len != sizeof(*ua))
		return -EINVAL;
	if (ua->flags || ua->reserved)
		return -EINVAL;
	if (ua->fd < 0)
		return -EBADF;

	file = fget(ua->fd);
	if (!file)
		return -EBADF;
	ret = -ENOTSOCK;
	sock = sock_from_file(file);
	if (!sock)
		goto out_put_file;
	ret = -EINVAL;
	sk = sock->sk;
	if (!sk || sk->sk_type != SOCK_DGRAM ||
	    sk->sk_protocol != IPPROTO_UDP ||
	    (sk->sk_family != AF_INET && sk->sk_family != AF_INET6))
		goto out_put_file;
	/* Unbound, it receives nothing; with GRO, a record is no datagram. */
	if (!READ_ONCE(inet_sk(sk)->inet_num) || aem_udp_gro(sk))
		goto out_put_file;

	ret = -ENOMEM;
	u = kzalloc(sizeof(*u), GFP_KERNEL_ACCOUNT);
	if (!u)
		goto out_put_file;
	u->ev = ev;
	u->file = file;
	u->sock = sock;
	aem_event_set_priv(ev, u);
	return 0;

out_put_file:
	fput(file);
	return ret;
}

static int aem_udp_attach(struct aem_udp *u)
{
	struct sock *sk = u->sock->sk;

	write_lock_bh(&sk->sk_callback_lock);
	if (sk->sk_user_data) {
		write_unlock_bh(&sk->sk_callback_lock);
		return -EBUSY;
	}
	u->saved_data_ready = sk->sk_data_ready;
	u->saved_write_space = sk->sk_write_space;
	u->saved_error_report = sk->sk_error_report;
	rcu_assign_sk_user_data(sk, u);
	sk->sk_data_ready = aem_udp_data_ready;
	sk->sk_write_space = aem_udp_write_space;
	sk->sk_error_report = aem_udp_error_report;
	write_unlock_bh(&sk->sk_callback_lock);
	net_enable_timestamp();
	u->tstamp = true;
	u->attached = true;
	return 0;
}

static void aem_udp_detach(struct aem_udp *u)
{
	struct sock *sk = u->sock->sk;

	write_lock_bh(&sk->sk_callback_lock);
	sk->sk_data_ready = u->saved_data_ready;
	sk->sk_write_space = u->saved_write_space;
	sk->sk_error_report = u->saved_error_report;
	rcu_assign_sk_user_data(sk, NULL);
	write_unlock_bh(&sk->sk_callback_lock);
	if (u->tstamp)
		net_disable_timestamp();
	u->tstamp = false;
	u->attached = false;
}

/* Attach (or resume), and look once for what arrived before. */
static int aem_udp_start(struct aem_event *ev)
{
	struct aem_udp *u = aem_event_priv(ev);

	WRITE_ONCE(u->paused, false);
	if (!u->attached) {
		int ret = aem_udp_attach(u);

		if (ret)
			return ret;
	}
	aem_event_defer(ev);
	return 0;
}

/* Pause reading; the callbacks stay, so WRITABLE is still reported. */
static void aem_udp_stop(struct aem_event *ev)
{
	struct aem_udp *u = aem_event_priv(ev);

	WRITE_ONCE(u->paused, true);
}

/* Shutdown and context teardown: restore the socket as it was. */
static void aem_udp_stop_all(struct aem_event *ev)
{
	struct aem_udp *u = aem_event_priv(ev);

	if (u->attached)
		aem_udp_detach(u);
}

static void aem_udp_destroy(struct aem_event *ev)
{
	struct aem_udp *u = aem_event_priv(ev);

	/* Taken from the socket, never reported: a drop, counted. */
	if (u->skb)
		aem_udp_drop(u->sock->sk, u->skb, false);
	fput(u->file);
	kfree(u);
}

static const struct aem_service_ops aem_udp_ops = {
	.create = aem_udp_create,
	.start = aem_udp_start,
	.stop = aem_udp_stop,
	.detach = aem_udp_stop_all,
	.destroy = aem_udp_destroy,
	.fill = aem_udp_fill,
	.prepare = aem_udp_prepare,
	.control = aem_udp_control,
};

static struct aem_service aem_udp_service = {
	.name = AEM_UDP_NAME,
	.version = AEM_VERSION(1, 0, 0),
	.ncalls = 1,
	.record_type = AEM_REC_UDP,
	/* fill writes only WRITABLE; datagrams go through emit. */
	.max_payload = sizeof(struct aem_udp_record),
	.ops = &aem_udp_ops,
	.owner = THIS_MODULE,
};

static int __init aem_udp_init(void)
{
	BUILD_BUG_ON(sizeof(struct aem_udp_args) != 16);
	BUILD_BUG_ON(sizeof(struct aem_udp_addr) != 24);
	BUILD_BUG_ON(sizeof(struct aem_udp_record) != 16);
	BUILD_BUG_ON(sizeof(struct aem_udp_send) != 32);
	BUILD_BUG_ON(sizeof(struct aem_udp_msg) != 32);
	/* The largest UDP payload (IPv6: 65,535 - 8) fits one record. */
	BUILD_BUG_ON(sizeof(struct aem_udp_record) +
		     sizeof(struct aem_udp_addr) + 65527 > AEM_EMIT_MAX);
	BUILD_BUG_ON(AEM_UDP_DATAGRAM_MAX > 65527);
	return aem_service_register(&aem_udp_service);
}

static void __exit aem_udp_exit(void)
{
	aem_service_unregister(&aem_udp_service);
	/*
	 * A socket callback may have loaded one of our function pointers
	 * just before its event detached; such callers run with bottom
	 * halves off or without sleeping, so a grace period covers them.
	 */
	synchronize_rcu();
}

module_init(aem_udp_init);
module_exit(aem_udp_exit);

MODULE_DESCRIPTION("AEM UDP service: batched datagram receive and send");
MODULE_AUTHOR("AEM for TypeScript contributors");
MODULE_LICENSE("GPL");
