// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * t_abi.c - the ABI surface: struct layout, ABI info, ring setup and mmap
 * permissions, lookup, and the validation of every ioctl argument.
 * Expects aem_core and aem_timers 1.0.0 (only) loaded.
 */
#include "libaem.h"
#include "tap.h"

#include <fcntl.h>
#include <stddef.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

_Static_assert(sizeof(struct aem_record) == 24, "record header");
_Static_assert(offsetof(struct aem_record, payload) == 24, "payload");
_Static_assert(sizeof(struct aem_abi_info) == 48, "abi_info");
_Static_assert(sizeof(struct aem_ring_setup) == 56, "ring_setup");
_Static_assert(sizeof(struct aem_lookup) == 72, "lookup");
_Static_assert(sizeof(struct aem_entry) == 64, "entry");
_Static_assert(sizeof(struct aem_evctl) == 32, "evctl");
_Static_assert(sizeof(struct aem_timer_args) == 24, "timer_args");
_Static_assert(sizeof(struct aem_timer_record) == 16, "timer_record");
_Static_assert(sizeof(struct aem_ring_producer) == 32, "producer page");

static long xioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) < 0 ? -errno : 0;
}

static long xmmap(int fd, size_t len, int prot, off_t off)
{
	void *p = mmap(NULL, len, prot, MAP_SHARED, fd, off);

	if (p == MAP_FAILED)
		return -errno;
	munmap(p, len);
	return 0;
}

static int open_dev(void)
{
	int fd = open("/dev/aem", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		tap_bail("cannot open /dev/aem");
	return fd;
}

static void test_ring_setup(unsigned long page)
{
	struct aem_ring_setup rs;
	struct aem_abi_info abi;
	struct aem_entry en;
	int fd = open_dev();
	char *cons, *prod;

	is_ret(xioctl(fd, AEM_IOC_ABI_INFO, &abi), 0, "ABI_INFO succeeds");
	ok(abi.abi_version == AEM_ABI_VERSION, "abi_version is %u",
	   AEM_ABI_VERSION);
	ok(abi.page_size == page, "page_size is the page size");
	ok(abi.record_header_size == sizeof(struct aem_record),
	   "record_header_size matches the header");
	ok(abi.max_events >= 10000 && abi.max_ring_pages >= 1 &&
	   abi.max_bindings >= 2, "limits are reported (%u events, %u pages)",
	   abi.max_events, abi.max_ring_pages);
	ok(!abi.reserved[0] && !abi.reserved[1] && !abi.reserved[2],
	   "ABI_INFO reserved fields are zero");

	is_ret(xmmap(fd, page, PROT_READ, 0), -ENXIO,
	       "mmap before ring setup: ENXIO");
	memset(&en, 0, sizeof(en));
	is_ret(xioctl(fd, AEM_IOC_ENTRY, &en), -ENXIO,
	       "entry before ring setup: ENXIO");
	is_ret(xioctl(fd, AEM_IOC_FLUSH, NULL), -ENXIO,
	       "flush before ring setup: ENXIO");

	memset(&rs, 0, sizeof(rs));
	is_ret(xioctl(fd, AEM_IOC_RING_SETUP, &rs), -EINVAL,
	       "ring setup with 0 pages: EINVAL");
	rs.data_pages = 3;
	is_ret(xioctl(fd, AEM_IOC_RING_SETUP, &rs), -EINVAL,
	       "ring setup with 3 pages (not a power of two): EINVAL");
	rs.data_pages = abi.max_ring_pages * 2;
	is_ret(xioctl(fd, AEM_IOC_RING_SETUP, &rs), -EINVAL,
	       "ring setup above max_ring_pages: EINVAL");
	rs.data_pages = 0x80000000u;
	is_ret(xioctl(fd, AEM_IOC_RING_SETUP, &rs), -EINVAL,
	       "ring setup with 2^31 pages: EINVAL");
	rs.data_pages = 4;
	rs.flags = 1;
	is_ret(xioctl(fd, AEM_IOC_RING_SETUP, &rs), -EINVAL,
	       "ring setup with unknown flags: EINVAL");
	rs.flags = 0;
	rs.reserved[1] = 1;
	is_ret(xioctl(fd, AEM_IOC_RING_SETUP, &rs), -EINVAL,
	       "ring setup with a reserved field set: EINVAL");
	rs.reserved[1] = 0;
	rs.data_size = 4096;
	is_ret(xioctl(fd, AEM_IOC_RING_SETUP, &rs), -EINVAL,
	       "ring setup with an output field set: EINVAL");
	rs.data_size = 0;
	is_ret(xioctl(fd, AEM_IOC_RING_SETUP, NULL), -EFAULT,
	       "ring setup with a NULL argument: EFAULT");
	is_ret(xioctl(fd, AEM_IOC_RING_SETUP, &rs), 0, "ring setup 4 pages");
	ok(rs.data_size == 4 * page && rs.consumer_offset == 0 &&
	   rs.producer_offset == page && rs.data_offset == 2 * page,
	   "ring setup reports size and offsets");
	memset(&rs, 0, sizeof(rs));
	rs.data_pages = 4;
	is_ret(xioctl(fd, AEM_IOC_RING_SETUP, &rs), -EBUSY,
	       "second ring setup: EBUSY");

	is_ret(xmmap(fd, page, PROT_READ | PROT_WRITE, page), -EPERM,
	       "writable mmap of the producer page: EPERM");
	is_ret(xmmap(fd, 2 * page, PROT_READ | PROT_WRITE, 0), -EINVAL,
	       "writable mmap spanning consumer and producer: EINVAL");
	is_ret(xmmap(fd, 2 * page, PROT_READ, 5 * page), -EINVAL,
	       "mmap past the end of the ring: EINVAL");
	is_ret(xmmap(fd, page, PROT_READ, 64 * page), -EINVAL,
	       "mmap at an offset beyond the ring: EINVAL");
	is_ret(xmmap(fd, 5 * page, PROT_READ, page), 0,
	       "read-only mmap of producer page and data");

	cons = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ok(cons != MAP_FAILED, "read-write mmap of the consumer page");
	if (cons != MAP_FAILED) {
		((struct aem_ring_consumer *)cons)->consumer_pos = 0;
		munmap(cons, page);
	}
	prod = mmap(NULL, page, PROT_READ, MAP_SHARED, fd, page);
	ok(prod != MAP_FAILED &&
	   ((struct aem_ring_producer *)prod)->data_size == 4 * page,
	   "producer page shows data_size");
	if (prod != MAP_FAILED) {
		ok(mprotect(prod, page, PROT_READ | PROT_WRITE) < 0 &&
		   errno == EACCES,
		   "mprotect of the producer page to writable: EACCES");
		munmap(prod, page);
	}
	close(fd);
}

static void test_lookup(void)
{
	struct aem_service_info si;
	struct aem_lookup lu;
	struct aem *aem;
	int ret;

	ret = aem_open(&aem, NULL, 1);
	if (ret)
		tap_bail("aem_open failed");

	is_ret(aem_lookup(aem, "timers", AEM_VERSION(1, 0, 0), 0, &si), 0,
	       "lookup timers >= 1.0.0");
	ok(si.version == AEM_VERSION(1, 0, 0), "bound version 1.0.0");
	ok(si.ncalls == 1 && si.first_call == si.service_id * 256,
	   "call range [%u, +%u)", si.first_call, si.ncalls);
	is_ret(aem_lookup(aem, "timers", AEM_VERSION(1, 0, 0),
			  AEM_LOOKUP_EXACT, &si), 0, "exact lookup 1.0.0");
	is_ret(aem_lookup(aem, "timers", AEM_VERSION(1, 1, 0), 0, &si),
	       -ENOENT, "lookup timers >= 1.1.0 with 1.0.0 loaded: ENOENT");
	is_ret(aem_lookup(aem, "timers", AEM_VERSION(2, 0, 0), 0, &si),
	       -ENOENT, "lookup timers 2.x (other major): ENOENT");
	is_ret(aem_lookup(aem, "timers", AEM_VERSION(0, 9, 0), 0, &si),
	       -ENOENT, "lookup timers 0.9 (other major): ENOENT");
	is_ret(aem_lookup(aem, "nosuch", 0, 0, &si), -ENOENT,
	       "lookup of an unknown service: ENOENT");
	is_ret(aem_lookup(aem, "Timers", AEM_VERSION(1, 0, 0), 0, &si),
	       -EINVAL, "lookup with an upper-case name: EINVAL");
	is_ret(aem_lookup(aem, "", AEM_VERSION(1, 0, 0), 0, &si), -EINVAL,
	       "lookup with an empty name: EINVAL");
	is_ret(aem_lookup(aem, "tim/ers", AEM_VERSION(1, 0, 0), 0, &si),
	       -EINVAL, "lookup with a '/' in the name: EINVAL");
	is_ret(aem_lookup(aem, "timers", AEM_VERSION(1, 0, 0), 2, &si),
	       -EINVAL, "lookup with unknown flags: EINVAL");
	is_ret(aem_lookup(aem, "timers", 0x01000000, 0, &si), -EINVAL,
	       "lookup with a version above 255.255.255: EINVAL");

	memset(&lu, 'a', sizeof(lu.name));
	memset(&lu.version, 0, sizeof(lu) - sizeof(lu.name));
	is_ret(xioctl(aem_fd(aem), AEM_IOC_LOOKUP, &lu), -EINVAL,
	       "lookup with an unterminated name: EINVAL");
	memset(&lu, 0, sizeof(lu));
	strcpy(lu.name, "timers");
	lu.name[10] = 'x';
	lu.version = AEM_VERSION(1, 0, 0);
	is_ret(xioctl(aem_fd(aem), AEM_IOC_LOOKUP, &lu), -EINVAL,
	       "lookup with bytes after the NUL: EINVAL");
	lu.name[10] = 0;
	lu.reserved[0] = 1;
	is_ret(xioctl(aem_fd(aem), AEM_IOC_LOOKUP, &lu), -EINVAL,
	       "lookup with a reserved field set: EINVAL");
	lu.reserved[0] = 0;
	lu.service_id = 7;
	is_ret(xioctl(aem_fd(aem), AEM_IOC_LOOKUP, &lu), -EINVAL,
	       "lookup with an output field set: EINVAL");
	is_ret(xioctl(aem_fd(aem), AEM_IOC_LOOKUP, (void *)8), -EFAULT,
	       "lookup with a bad pointer: EFAULT");
	aem_close(aem);
}

static void test_entry_evctl(void)
{
	struct aem_service_info si;
	struct aem_timer_args ta;
	struct aem_entry en;
	struct aem_evctl ec;
	struct aem *aem, *other;
	uint64_t id;
	char big[AEM_ARGS_MAX + 8];
	int fd;

	if (aem_open(&aem, NULL, 1) || aem_open(&other, NULL, 1))
		tap_bail("aem_open failed");
	fd = aem_fd(aem);

	/* A service id bound by another context is not bound here. */
	if (aem_lookup(other, "timers", AEM_VERSION(1, 0, 0), 0, &si))
		tap_bail("lookup failed");
	is_ret(aem_timer_create(aem, &si, 1000000, 0, 0, 0, &id), -ENOENT,
	       "entry with a service id this context did not bind: ENOENT");
	is_ret(aem_lookup(aem, "timers", AEM_VERSION(1, 0, 0), 0, &si), 0,
	       "bind timers");

	memset(&ta, 0, sizeof(ta));
	ta.initial_ns = 1000000000;
	is_ret(aem_entry(aem, si.service_id + 1, si.first_call, &ta,
			 sizeof(ta), 0, 0, 0, &id), -ENOENT,
	       "entry with an unknown service id: ENOENT");
	is_ret(aem_entry(aem, si.service_id, si.first_call + 1, &ta,
			 sizeof(ta), 0, 0, 0, &id), -EINVAL,
	       "entry with a call past the range: EINVAL");
	is_ret(aem_entry(aem, si.service_id, si.first_call - 1, &ta,
			 sizeof(ta), 0, 0, 0, &id), -EINVAL,
	       "entry with a call before the range: EINVAL");
	is_ret(aem_entry(aem, si.service_id, 0xffffffff, &ta, sizeof(ta), 0,
			 0, 0, &id), -EINVAL, "entry with call 2^32-1: EINVAL");
	is_ret(aem_entry(aem, si.service_id, si.first_call, &ta,
			 sizeof(ta) - 8, 0, 0, 0, &id), -EINVAL,
	       "entry with short timer args: EINVAL");
	memset(big, 0, sizeof(big));
	is_ret(aem_entry(aem, si.service_id, si.first_call, big,
			 AEM_ARGS_MAX + 1, 0, 0, 0, &id), -EINVAL,
	       "entry with args above AEM_ARGS_MAX: EINVAL");
	is_ret(aem_entry(aem, si.service_id, si.first_call, big, 0xffffffff,
			 0, 0, 0, &id), -EINVAL,
	       "entry with args_len 2^32-1: EINVAL");
	is_ret(aem_entry(aem, si.service_id, si.first_call, (void *)8,
			 sizeof(ta), 0, 0, 0, &id), -EFAULT,
	       "entry with a bad args pointer: EFAULT");
	is_ret(aem_entry(aem, si.service_id, si.first_call, NULL, sizeof(ta),
			 0, 0, 0, &id), -EINVAL,
	       "entry with a NULL args pointer and a length: EINVAL");
	is_ret(aem_entry(aem, si.service_id, si.first_call, &ta, sizeof(ta),
			 0, AEM_PRIO_MAX + 1, 0, &id), -EINVAL,
	       "entry with priority 256: EINVAL");
	is_ret(aem_entry(aem, si.service_id, si.first_call, &ta, sizeof(ta),
			 0, 0, 0x80, &id), -EINVAL,
	       "entry with unknown flags: EINVAL");
	memset(&en, 0, sizeof(en));
	en.service_id = si.service_id;
	en.call = si.first_call;
	en.args = (uintptr_t)&ta;
	en.args_len = sizeof(ta);
	en.reserved[1] = 1;
	is_ret(xioctl(fd, AEM_IOC_ENTRY, &en), -EINVAL,
	       "entry with a reserved field set: EINVAL");
	en.reserved[1] = 0;
	en.reserved0 = 1;
	is_ret(xioctl(fd, AEM_IOC_ENTRY, &en), -EINVAL,
	       "entry with the padding field set: EINVAL");
	en.reserved0 = 0;
	en.event_id = 5;
	is_ret(xioctl(fd, AEM_IOC_ENTRY, &en), -EINVAL,
	       "entry with the output event_id set: EINVAL");

	ta.initial_ns = 0;
	is_ret(aem_entry(aem, si.service_id, si.first_call, &ta, sizeof(ta),
			 0, 0, 0, &id), -EINVAL, "timer with initial 0: EINVAL");
	ta.initial_ns = ~0ULL;
	is_ret(aem_entry(aem, si.service_id, si.first_call, &ta, sizeof(ta),
			 0, 0, 0, &id), -EINVAL,
	       "timer with initial 2^64-1 ns: EINVAL");
	ta.initial_ns = 1000000;
	ta.interval_ns = 10;
	is_ret(aem_entry(aem, si.service_id, si.first_call, &ta, sizeof(ta),
			 0, 0, 0, &id), -EINVAL,
	       "timer with a 10 ns period: EINVAL");
	ta.interval_ns = 0;
	ta.reserved = 1;
	is_ret(aem_entry(aem, si.service_id, si.first_call, &ta, sizeof(ta),
			 0, 0, 0, &id), -EINVAL,
	       "timer args with a reserved field set: EINVAL");
	ta.reserved = 0;
	ta.flags = 4;
	is_ret(aem_entry(aem, si.service_id, si.first_call, &ta, sizeof(ta),
			 0, 0, 0, &id), -EINVAL,
	       "timer args with unknown flags: EINVAL");
	ta.flags = 0;

	is_ret(aem_entry(aem, si.service_id, si.first_call, &ta, sizeof(ta),
			 0x1234, 7, 0, &id), 0, "create a stopped timer");
	ok(id != 0, "event id is not 0 (%llu)", (unsigned long long)id);

	is_ret(aem_evctl(aem, 0, AEM_EVCTL_START, 0), -ENOENT,
	       "evctl on event 0: ENOENT");
	is_ret(aem_evctl(aem, id + 1000, AEM_EVCTL_START, 0), -ENOENT,
	       "evctl on an unknown event: ENOENT");
	is_ret(aem_evctl(aem, 1ULL << 40, AEM_EVCTL_START, 0), -ENOENT,
	       "evctl on event 2^40: ENOENT");
	is_ret(aem_evctl(other, id, AEM_EVCTL_SHUTDOWN, 0), -ENOENT,
	       "evctl from another context: ENOENT");
	is_ret(aem_evctl(aem, id, 0, 0), -EINVAL, "evctl op 0: EINVAL");
	is_ret(aem_evctl(aem, id, 99, 0), -EINVAL, "evctl op 99: EINVAL");
	is_ret(aem_evctl(aem, id, AEM_EVCTL_START, 1), -EINVAL,
	       "evctl START with a value: EINVAL");
	is_ret(aem_evctl(aem, id, AEM_EVCTL_PRIO, 256), -EINVAL,
	       "evctl PRIO 256: EINVAL");
	memset(&ec, 0, sizeof(ec));
	ec.event_id = id;
	ec.op = AEM_EVCTL_STOP;
	ec.reserved[0] = 1;
	is_ret(xioctl(fd, AEM_IOC_EVCTL, &ec), -EINVAL,
	       "evctl with a reserved field set: EINVAL");
	is_ret(aem_evctl(aem, id, AEM_EVCTL_PRIO, 255), 0, "evctl PRIO 255");
	is_ret(aem_evctl(aem, id, AEM_EVCTL_STOP, 0), 0,
	       "evctl STOP of a stopped timer");
	is_ret(aem_evctl(aem, id, AEM_EVCTL_START, 0), 0, "evctl START");
	is_ret(aem_evctl(aem, id, AEM_EVCTL_SHUTDOWN, 0), 0,
	       "evctl SHUTDOWN");
	is_ret(aem_evctl(aem, id, AEM_EVCTL_START, 0), -ENOENT,
	       "evctl after SHUTDOWN: ENOENT");

	is_ret(xioctl(fd, _IOW(AEM_IOC_MAGIC, 0x03, struct aem_evctl), &ec),
	       -ENOTTY, "ENTRY's number with EVCTL's size: ENOTTY");
	is_ret(xioctl(fd, _IO(AEM_IOC_MAGIC, 0x7f), NULL), -ENOTTY,
	       "unknown ioctl: ENOTTY");
	is_ret(xioctl(fd, _IOR('T', 0x00, int), big), -ENOTTY,
	       "foreign ioctl: ENOTTY");
	aem_close(other);
	aem_close(aem);
}

static void test_event_limit(void)
{
	struct aem_service_info si;
	struct aem *aem;
	unsigned int i, made = 0;
	uint64_t id;
	long before;
	int ret = 0;

	if (aem_open(&aem, NULL, 1) ||
	    aem_lookup(aem, "timers", AEM_VERSION(1, 0, 0), 0, &si))
		tap_bail("open/lookup failed");
	before = module_refcnt("aem_timers");
	for (i = 0; i < aem_abi(aem)->max_events; i++) {
		ret = aem_timer_create(aem, &si, 1000000000, 0, i, 0, &id);
		if (ret)
			break;
		made++;
	}
	ok(made == aem_abi(aem)->max_events, "created max_events (%u) events",
	   made);
	is_ret(aem_timer_create(aem, &si, 1000000000, 0, 0, 0, &id), -ENOSPC,
	       "one event more: ENOSPC");
	ok(module_refcnt("aem_timers") == before + made,
	   "each event holds a reference on aem_timers (%ld)",
	   module_refcnt("aem_timers"));
	aem_close(aem);
	ok(module_refcnt("aem_timers") == before,
	   "closing the context drops them all (%ld)",
	   module_refcnt("aem_timers"));
}

int main(void)
{
	unsigned long page = sysconf(_SC_PAGESIZE);

	diag("t_abi: ABI surface and argument validation");
	test_ring_setup(page);
	test_lookup();
	test_entry_evctl();
	test_event_limit();
	return tap_done();
}
