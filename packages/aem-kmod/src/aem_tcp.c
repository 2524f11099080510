// SPDX-License-Identifier: GPL-2.0-only
/*
 * aem_tcp.c - the AEM TCP service: asynchronous accept, data and close on
 * sockets the process owns, the bytes carried in the records
 *
 * Two calls attach an event to a socket: LISTENER to a listening socket
 * (accept records, each with a new fd and the peer's address) and
 * CONNECTION to a connected or connecting one (connected, data, writable,
 * peer-closed and error records).  Sending stays write()/writev() on the
 * fd.  START attaches (later: resumes), STOP pauses reading, SHUTDOWN
 * detaches.  The ABI is described in <uapi/linux/aem.h>.
 *
 * Where the work runs
 *   The socket callbacks run in softirq context (or under the socket lock
 *   in process context); reading a socket and installing an fd need
 *   process context, and the fd must go into the consumer's fd table.  So
 *   the callbacks only mark the event deferred (aem_event_defer()), which
 *   wakes the consumer, and the reading and accepting happen in prepare(),
 *   which aem_core runs in the consumer's own poll() (epoll_wait()
 *   included) or AEM_IOC_FLUSH.  No workqueue, no kernel thread: the
 *   consumer pays for its own reads and sees the result in the same system
 *   call that waited for it.
 *
 * Flow control
 *   prepare() reads at most one chunk ahead of the ring: a chunk that does
 *   not fit stays in t->buf (staged) and the rest in the socket, whose
 *   receive window then closes.  prepare() returns -EAGAIN, which keeps the
 *   event deferred and AEM_RING_F_BACKLOG set; the consumer, after making
 *   room, flushes (libaem's aem_drain() does) and prepare() resumes with
 *   the staged chunk first.  Bytes are never dropped or reordered: only
 *   prepare() reads, under the context mutex, into one staging buffer.
 *
 * Accepting
 *   prepare() accepts one connection at a time into t->newfile, reserves an
 *   fd number, and emits the record; only when the record is in the ring
 *   is the file installed under that number (fd_install()), so no fd is
 *   ever installed without its record.  When the ring is full the number is
 *   given back and the accepted file waits in t->newfile.  Installing
 *   happens only when current belongs to the process that attached.
 *
 * Attaching and detaching (the nvmet-tcp and sunrpc pattern)
 *   CONNECTION: the socket's sk_data_ready, sk_state_change and
 *   sk_write_space are saved and replaced, and sk_user_data set, under
 *   write_lock_bh(&sk->sk_callback_lock); detach restores them under the
 *   same lock.  Our callbacks read sk_user_data under read_lock_bh(), so
 *   once detach has released the write lock no callback holds the event.
 *   A callback that loaded our function pointer just before the restore
 *   finds sk_user_data NULL and only chains to the restored callback; the
 *   module's exit waits for such callers with synchronize_rcu().
 *
 *   LISTENER: the callbacks of a listening socket are copied into every
 *   connection it spawns (sk_clone_lock()), and a copy of ours would
 *   outlive the module.  So the listener is not touched: the event hangs a
 *   wait-queue entry on the socket's wait queue (as epoll does), which
 *   sock_def_readable() wakes for each new connection, and removes it on
 *   detach (remove_wait_queue() waits for a wake-up in progress).  Its
 *   sk_user_data is set, with SK_USER_DATA_NOCOPY, only to refuse a second
 *   attach.
 *
 * Lifetimes
 *   The event holds the socket's file (fget() at create, fput() at
 *   destroy), so the socket lives while attached even when user space
 *   closes its fd.  aem_core holds a module reference per event, so the
 *   module stays until the last event is destroyed.  detach() (shutdown,
 *   teardown) restores the socket; destroy() runs after it and releases the file, the staged
 *   connection (never installed) and the buffer.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/aem_service.h>
#include <linux/atomic.h>
#include <linux/file.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/module.h>
#include <linux/net.h>
#include <linux/pid.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/uio.h>
#include <linux/wait.h>
#include <net/sock.h>
#include <net/tcp_states.h>

/* Records (chunks or connections) one prepare() writes before yielding. */
#define AEM_TCP_BUDGET		64

/**
 * struct aem_tcp - the private state of one socket event
 * @ev: the event
 * @file: the socket's file, pinned from create to destroy
 * @sock: the socket of @file
 * @owner: thread group of the task that created the event: fds are
 *	installed only in its fd table
 * @listener: a LISTENER event
 * @attached: callbacks (or the wait entry) installed; under the context
 *	mutex, like everything below it except @writable
 * @connected: CONNECTED is reported or not owed (no AEM_TCP_F_CONNECT)
 * @done: PEER_CLOSED or ERROR was reported: nothing more is read
 * @paused: STOP: nothing is read or accepted until START; read by the
 *	callbacks without a lock (a stale value costs one useless defer, or
 *	none: START defers anyway)
 * @chunk: most data bytes per record
 * @writable: a WRITABLE record is owed; set by the callback, taken by fill
 * @wait: LISTENER: the entry on the socket's wait queue
 * @saved_data_ready: CONNECTION: the socket's callbacks before attach;
 *	written under sk_callback_lock, read under it by our callbacks
 * @saved_state_change: see @saved_data_ready
 * @saved_write_space: see @saved_data_ready
 * @buf: CONNECTION: staging buffer of @chunk bytes, allocated on first use
 * @staged: bytes in @buf read from the socket and not yet in the ring
 * @end_kind: PEER_CLOSED or ERROR read and not yet in the ring, else 0
 * @end_err: the errno of a staged ERROR
 * @newfile: LISTENER: an accepted connection not yet in the ring
 * @newaddr: its peer
 */
struct aem_tcp {
	struct aem_event *ev;
	struct file *file;
	struct socket *sock;
	struct pid *owner;
	bool listener;
	bool attached;
	bool connected;
	bool done;
	bool paused;
	u32 chunk;
	atomic_t writable;
	struct wait_queue_entry wait;
	void (*saved_data_ready)(struct sock *sk);
	void (*saved_state_change)(struct sock *sk);
	void (*saved_write_space)(struct sock *sk);
	u8 *buf;
	u32 staged;
	u16 end_kind;
	int end_err;
	struct file *newfile;
	struct aem_tcp_addr newaddr;
};

/* ---- callbacks (softirq or process context, socket spinlock held) ----- */

static struct aem_tcp *aem_tcp_of(struct sock *sk)
{
	return __locked_read_sk_user_data_with_flags(sk, 0);
}

static void aem_tcp_data_ready(struct sock *sk);
static void aem_tcp_state_change(struct sock *sk);
static void aem_tcp_write_space(struct sock *sk);

static void aem_tcp_data_ready(struct sock *sk)
{
	void (*next)(struct sock *sk);
	struct aem_tcp *t;

	read_lock_bh(&sk->sk_callback_lock);
	t = aem_tcp_of(sk);
	if (t) {
		if (!READ_ONCE(t->paused))
			aem_event_defer(t->ev);
		next = t->saved_data_ready;
	} else {
		/* Detached under us: the restored callback. */
		next = READ_ONCE(sk->sk_data_ready);
	}
	read_unlock_bh(&sk->sk_callback_lock);
	if (next && next != aem_tcp_data_ready)
		next(sk);
}

static void aem_tcp_state_change(struct sock *sk)
{
	void (*next)(struct sock *sk);
	struct aem_tcp *t;

	read_lock_bh(&sk->sk_callback_lock);
	t = aem_tcp_of(sk);
	if (t) {
		/* Connected, FIN, reset: prepare() finds out by reading. */
		if (!READ_ONCE(t->paused))
			aem_event_defer(t->ev);
		next = t->saved_state_change;
	} else {
		next = READ_ONCE(sk->sk_state_change);
	}
	read_unlock_bh(&sk->sk_callback_lock);
	if (next && next != aem_tcp_state_change)
		next(sk);
}

/*
 * TCP calls sk_write_space only while SOCK_NOSPACE is set, i.e. after a
 * write hit a full send buffer; the chained original clears the bit once
 * there is room, so one record follows each such episode.
 */
static void aem_tcp_write_space(struct sock *sk)
{
	void (*next)(struct sock *sk);
	struct aem_tcp *t;

	read_lock_bh(&sk->sk_callback_lock);
	t = aem_tcp_of(sk);
	if (t) {
		if (sk_stream_is_writeable(sk) && !atomic_xchg(&t->writable, 1))
			aem_event_activate(t->ev);
		next = t->saved_write_space;
	} else {
		next = READ_ONCE(sk->sk_write_space);
	}
	read_unlock_bh(&sk->sk_callback_lock);
	if (next && next != aem_tcp_write_space)
		next(sk);
}

/* LISTENER: woken with the socket's wait queue lock held. */
static int aem_tcp_listen_wake(struct wait_queue_entry *wait,
			       unsigned int mode, int sync, void *key)
{
	struct aem_tcp *t = container_of(wait, struct aem_tcp, wait);

	if (READ_ONCE(t->paused))
		return 0;
	if (!key || (key_to_poll(key) & (EPOLLIN | EPOLLERR | EPOLLHUP)))
		aem_event_defer(t->ev);
	return 0;
}

/* ---- records ----------------------------------------------------------- */

static int aem_tcp_emit(struct aem_tcp *t, u16 kind, s64 value,
			const void *data, u32 len)
{
	struct aem_tcp_record rec = {
		.kind = kind,
		.len = len,
		.value = value,
	};
	struct kvec vec[2] = {
		{ .iov_base = &rec, .iov_len = sizeof(rec) },
		{ .iov_base = (void *)data, .iov_len = len },
	};

	return aem_event_emit(t->ev, vec, len ? 2 : 1);
}

static int aem_tcp_fill(struct aem_event *ev, void *payload, u32 room)
{
	struct aem_tcp *t = aem_event_priv(ev);
	struct aem_tcp_record *rec = payload;

	if (!atomic_xchg(&t->writable, 0))
		return 0;
	memset(rec, 0, sizeof(*rec));
	rec->kind = AEM_TCP_WRITABLE;
	return sizeof(*rec);
}

/* ---- prepare (the consumer's context, context mutex held) -------------- */

static int aem_tcp_prepare_connection(struct aem_tcp *t)
{
	struct sock *sk = t->sock->sk;
	unsigned int budget = AEM_TCP_BUDGET;

	if (!t->connected) {
		int state = READ_ONCE(sk->sk_state);

		if (state == TCP_SYN_SENT || state == TCP_SYN_RECV)
			return 0;	/* sk_state_change defers us again */
		/* Established, or half closed already: connected first. */
		if ((state == TCP_ESTABLISHED || state == TCP_CLOSE_WAIT) &&
		    aem_tcp_emit(t, AEM_TCP_CONNECTED, 0, NULL, 0))
			return -EAGAIN;
		/* A failed connect: reading reports its error. */
		t->connected = true;
	}

	while (!t->done) {
		if (!t->staged && !t->end_kind) {
			struct msghdr msg = { .msg_flags = MSG_DONTWAIT };
			struct kvec iov;
			int n;

			if (!budget--)
				return -EAGAIN;	/* more may wait: yield */
			if (!t->buf) {
				t->buf = kmalloc(t->chunk, GFP_KERNEL_ACCOUNT);
				if (!t->buf)
					return -EAGAIN;
			}
			iov.iov_base = t->buf;
			iov.iov_len = t->chunk;
			n = kernel_recvmsg(t->sock, &msg, &iov, 1, t->chunk,
					   MSG_DONTWAIT);
			if (n == -EAGAIN || n == -EINTR)
				return 0;	/* sk_data_ready defers us */
			if (n > 0) {
				t->staged = n;
			} else if (n == 0) {
				t->end_kind = AEM_TCP_PEER_CLOSED;
			} else {
				t->end_kind = AEM_TCP_ERROR;
				t->end_err = -n;
			}
		}
		if (t->staged) {
			if (aem_tcp_emit(t, AEM_TCP_DATA, 0, t->buf, t->staged))
				return -EAGAIN;	/* ring full: keep the chunk */
			t->staged = 0;
		} else {
			if (aem_tcp_emit(t, t->end_kind, t->end_err, NULL, 0))
				return -EAGAIN;
			t->done = true;
		}
	}
	return 0;
}

static void aem_tcp_addr(struct aem_tcp_addr *out,
			 const struct sockaddr_storage *ss)
{
	memset(out, 0, sizeof(*out));
	out->family = ss->ss_family;
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *sin = (const void *)ss;

		out->port = ntohs(sin->sin_port);
		memcpy(out->addr, &sin->sin_addr, 4);
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const void *)ss;

		out->port = ntohs(sin6->sin6_port);
		out->scope_id = sin6->sin6_scope_id;
		memcpy(out->addr, &sin6->sin6_addr, 16);
	}
}

static int aem_tcp_prepare_listener(struct aem_tcp *t)
{
	unsigned int budget = AEM_TCP_BUDGET;

	/* Only the owner's fd table may receive the new fds. */
	if (task_tgid(current) != t->owner)
		return -EAGAIN;

	while (budget--) {
		int fd, ret;

		if (!t->newfile) {
			struct sockaddr_storage ss = { 0 };
			struct socket *newsock;
			struct file *file;

			ret = kernel_accept(t->sock, &newsock, O_NONBLOCK);
			if (ret == -EAGAIN)
				return 0;	/* the wait entry defers us */
			if (ret)
				continue;	/* e.g. ECONNABORTED: next */
			if (kernel_getpeername(newsock,
					       (struct sockaddr *)&ss) < 0)
				ss.ss_family = AF_UNSPEC;
			/* On failure this releases newsock. */
			file = sock_alloc_file(newsock, O_NONBLOCK, NULL);
			if (IS_ERR(file))
				continue;
			aem_tcp_addr(&t->newaddr, &ss);
			t->newfile = file;
		}

		fd = get_unused_fd_flags(O_CLOEXEC);
		if (fd < 0) {
			/* EMFILE, ENFILE: the connection waits; START retries. */
			return aem_tcp_emit(t, AEM_TCP_ERROR, -fd, NULL, 0) ?
			       -EAGAIN : 0;
		}
		ret = aem_tcp_emit(t, AEM_TCP_ACCEPT, fd, &t->newaddr,
				   sizeof(t->newaddr));
		if (ret) {
			put_unused_fd(fd);
			return -EAGAIN;	/* ring full: keep the connection */
		}
		/*
		 * The record is published, but the consumer is this task,
		 * inside poll() or the flush ioctl: it cannot read the
		 * record before this returns.
		 */
		fd_install(fd, t->newfile);
		t->newfile = NULL;
	}
	return -EAGAIN;
}

static int aem_tcp_prepare(struct aem_event *ev)
{
	struct aem_tcp *t = aem_event_priv(ev);

	if (!t->attached || t->paused)
		return 0;
	return t->listener ? aem_tcp_prepare_listener(t) :
			     aem_tcp_prepare_connection(t);
}

/* ---- operations -------------------------------------------------------- */

static int aem_tcp_create(struct aem_event *ev, u32 call, const void *args,
			  u32 len)
{
	const struct aem_tcp_args *ta = args;
	struct socket *sock;
	struct aem_tcp *t;
	struct file *file;
	struct sock *sk;
	int state, ret;
	bool connect;

	if (call > AEM_TCP_CALL_CONNECTION || len != sizeof(*ta))
		return -EINVAL;
	if (ta->reserved || (ta->flags & ~AEM_TCP_F_CONNECT) ||
	    (call == AEM_TCP_CALL_LISTENER && ta->flags))
		return -EINVAL;
	if (call == AEM_TCP_CALL_LISTENER ? ta->chunk :
	    ta->chunk && (ta->chunk < AEM_TCP_CHUNK_MIN ||
			  ta->chunk > AEM_TCP_CHUNK_MAX))
		return -EINVAL;
	if (ta->fd < 0)
		return -EBADF;

	file = fget(ta->fd);
	if (!file)
		return -EBADF;
	ret = -ENOTSOCK;
	sock = sock_from_file(file);
	if (!sock)
		goto out_put_file;
	ret = -EINVAL;
	sk = sock->sk;
	if (!sk || sk->sk_type != SOCK_STREAM ||
	    sk->sk_protocol != IPPROTO_TCP ||
	    (sk->sk_family != AF_INET && sk->sk_family != AF_INET6))
		goto out_put_file;
	state = READ_ONCE(sk->sk_state);
	connect = ta->flags & AEM_TCP_F_CONNECT;
	if (call == AEM_TCP_CALL_LISTENER ? state != TCP_LISTEN :
	    state != TCP_ESTABLISHED && state != TCP_CLOSE_WAIT &&
	    (!connect || (state != TCP_SYN_SENT && state != TCP_CLOSE)))
		goto out_put_file;

	ret = -ENOMEM;
	t = kzalloc(sizeof(*t), GFP_KERNEL_ACCOUNT);
	if (!t)
		goto out_put_file;
	t->ev = ev;
	t->file = file;
	t->sock = sock;
	t->owner = get_pid(task_tgid(current));
	t->listener = call == AEM_TCP_CALL_LISTENER;
	t->connected = !connect;
	t->chunk = ta->chunk ? ta->chunk : AEM_TCP_CHUNK_MAX;
	init_waitqueue_func_entry(&t->wait, aem_tcp_listen_wake);
	aem_event_set_priv(ev, t);
	return 0;

out_put_file:
	fput(file);
	return ret;
}

static int aem_tcp_attach(struct aem_tcp *t)
{
	struct sock *sk = t->sock->sk;

	write_lock_bh(&sk->sk_callback_lock);
	if (sk->sk_user_data) {
		write_unlock_bh(&sk->sk_callback_lock);
		return -EBUSY;
	}
	if (t->listener) {
		/* Not copied into the connections it spawns. */
		__rcu_assign_sk_user_data_with_flags(sk, t,
						     SK_USER_DATA_NOCOPY);
	} else {
		t->saved_data_ready = sk->sk_data_ready;
		t->saved_state_change = sk->sk_state_change;
		t->saved_write_space = sk->sk_write_space;
		rcu_assign_sk_user_data(sk, t);
		sk->sk_data_ready = aem_tcp_data_ready;
		sk->sk_state_change = aem_tcp_state_change;
		sk->sk_write_space = aem_tcp_write_space;
	}
	write_unlock_bh(&sk->sk_callback_lock);
	if (t->listener)
		add_wait_queue(sk_sleep(sk), &t->wait);
	t->attached = true;
	return 0;
}

static void aem_tcp_detach(struct aem_tcp *t)
{
	struct sock *sk = t->sock->sk;

	if (t->listener)
		remove_wait_queue(sk_sleep(sk), &t->wait);
	write_lock_bh(&sk->sk_callback_lock);
	if (!t->listener) {
		sk->sk_data_ready = t->saved_data_ready;
		sk->sk_state_change = t->saved_state_change;
		sk->sk_write_space = t->saved_write_space;
	}
	rcu_assign_sk_user_data(sk, NULL);
	write_unlock_bh(&sk->sk_callback_lock);
	t->attached = false;
}

/*
 * Attach (or resume), and look once for what arrived before: prepare runs
 * at the consumer's next poll.  On an attached connection, START re-arms
 * the writable report the way tcp_poll() does: set SOCK_NOSPACE, then
 * check, so room that appears in between still calls sk_write_space.
 */
static int aem_tcp_start(struct aem_event *ev)
{
	struct aem_tcp *t = aem_event_priv(ev);
	struct sock *sk = t->sock->sk;

	WRITE_ONCE(t->paused, false);
	if (!t->attached) {
		int ret = aem_tcp_attach(t);

		if (ret)
			return ret;
	} else if (!t->listener) {
		set_bit(SOCK_NOSPACE, &t->sock->flags);
		smp_mb__after_atomic();
		if (sk_stream_is_writeable(sk) && !atomic_xchg(&t->writable, 1))
			aem_event_activate(ev);
	}
	aem_event_defer(ev);
	return 0;
}

/* Pause reading; the callbacks stay, so WRITABLE is still reported. */
static void aem_tcp_stop(struct aem_event *ev)
{
	struct aem_tcp *t = aem_event_priv(ev);

	WRITE_ONCE(t->paused, true);
}

/* Shutdown and context teardown: restore the socket as it was. */
static void aem_tcp_stop_all(struct aem_event *ev)
{
	struct aem_tcp *t = aem_event_priv(ev);

	if (t->attached)
		aem_tcp_detach(t);
}

static void aem_tcp_destroy(struct aem_event *ev)
{
	struct aem_tcp *t = aem_event_priv(ev);

	/* Accepted but never reported: no fd was installed for it. */
	if (t->newfile)
		fput(t->newfile);
	kfree(t->buf);
	put_pid(t->owner);
	fput(t->file);
	kfree(t);
}

static const struct aem_service_ops aem_tcp_ops = {
	.create = aem_tcp_create,
	.start = aem_tcp_start,
	.stop = aem_tcp_stop,
	.detach = aem_tcp_stop_all,
	.destroy = aem_tcp_destroy,
	.fill = aem_tcp_fill,
	.prepare = aem_tcp_prepare,
};

static struct aem_service aem_tcp_service = {
	.name = AEM_TCP_NAME,
	.version = AEM_VERSION(1, 0, 0),
	.ncalls = 2,
	.record_type = AEM_REC_TCP,
	/* fill writes only WRITABLE; data goes through aem_event_emit(). */
	.max_payload = sizeof(struct aem_tcp_record),
	.ops = &aem_tcp_ops,
	.owner = THIS_MODULE,
};

static int __init aem_tcp_init(void)
{
	BUILD_BUG_ON(sizeof(struct aem_tcp_args) != 16);
	BUILD_BUG_ON(sizeof(struct aem_tcp_record) != 16);
	BUILD_BUG_ON(sizeof(struct aem_tcp_addr) != 24);
	BUILD_BUG_ON(sizeof(struct aem_tcp_record) + AEM_TCP_CHUNK_MAX >
		     AEM_PAYLOAD_MAX);
	BUILD_BUG_ON(sizeof(struct aem_record) + sizeof(struct aem_tcp_record) +
		     AEM_TCP_CHUNK_MAX != 4096);
	return aem_service_register(&aem_tcp_service);
}

static void __exit aem_tcp_exit(void)
{
	aem_service_unregister(&aem_tcp_service);
	/*
	 * A socket callback may have loaded one of our function pointers
	 * just before its event detached; such callers run with bottom
	 * halves off or without sleeping, so a grace period covers them.
	 */
	synchronize_rcu();
}

module_init(aem_tcp_init);
module_exit(aem_tcp_exit);

MODULE_DESCRIPTION("AEM TCP service: asynchronous accept, data and close");
MODULE_AUTHOR("AEM for TypeScript contributors");
MODULE_LICENSE("GPL");
