/*
 * The C reference for `npm run bench`: the split-ring protocol of runtime/virtio, driver and
 * device in one thread. Each round the driver makes `batch` one-descriptor chains available,
 * the device pops each and pushes it used, and the driver collects them.
 *
 * Two devices, chosen by the first argument:
 *   minimal  reads the avail index, the head and the flags, and nothing more: a floor for the
 *            cost of the protocol itself, not a device anyone should ship.
 *   checked  does what the JS device and driver do, check for check: the avail index jump,
 *            chains in flight, head and next in range, loops, the indirect rules, readable
 *            after writable, address overflow, translation through the DMA map, the 4 GiB
 *            limit; a pooled chain of offsets and lengths per head; and on the driver side a
 *            shadow free list, per-head chain length, writable bytes and token, and the used
 *            entry checked against them (runtime/virtio/device-queue.ts, driver-queue.ts).
 *   threads  checked, with the device in a thread of its own: it spins on the avail index and
 *            the driver spins on the used index, each side's indexes published with release
 *            stores and read with acquire loads, as the JS worker's are through Atomics. No
 *            side ever sleeps: the best case for two threads that poll.
 * Usage: ring minimal|checked|threads <queue size> <batch> <descriptors>   prints descriptors per second.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <linux/virtio_ring.h>

#define MAX_QUEUE 32768
#define NOT_IN_FLIGHT (-1.0)

/* The DMA map of the JS bench (test/helpers/rings.ts): IOVA is the offset in one arena. */
struct dma {
	uint8_t *memory;
	uint64_t size;
};

static int64_t translate(const struct dma *dma, uint64_t iova, uint32_t len)
{
	if (iova + len > dma->size)
		return -1;
	return (int64_t)iova;
}

/* As runtime/virtio/chain.ts: arrays that grow (doubling) to the longest chain seen. */
struct chain {
	uint16_t head;
	uint32_t count, writable_from, capacity;
	uint64_t readable_length, writable_length;
	/* Any offset in DMA memory and any 32-bit length, as chain.ts keeps them. */
	uint64_t *offsets;
	uint32_t *lengths;
};

static void chain_add(struct chain *c, uint64_t offset, uint32_t length, int write)
{
	if (c->count == c->capacity) {
		c->capacity = c->capacity ? 2 * c->capacity : 1;
		c->offsets = realloc(c->offsets, c->capacity * sizeof(*c->offsets));
		c->lengths = realloc(c->lengths, c->capacity * sizeof(*c->lengths));
	}
	c->offsets[c->count] = offset;
	c->lengths[c->count] = length;
	c->count++;
	if (write)
		c->writable_length += length;
	else {
		c->writable_from = c->count;
		c->readable_length += length;
	}
}

struct device {
	struct vring vr;
	const struct dma *dma;
	unsigned num;
	uint16_t last_avail, used_idx;
	unsigned in_flight;
	int broken;
	struct chain *chains[MAX_QUEUE];
};

static struct chain *fail(struct device *d, int code)
{
	d->broken = code;
	return NULL;
}

/* As SplitQueueDevice.map: a wrapping address, or one outside the DMA map, breaks the queue. */
static int64_t map(struct device *d, uint64_t addr, uint32_t len)
{
	if (addr + len < addr) {
		d->broken = 9;
		return -1;
	}
	int64_t at = translate(d->dma, addr, len);
	if (at < 0)
		d->broken = 10;
	return at;
}

static struct chain *walk(struct device *d, uint16_t head)
{
	struct chain *c = d->chains[head];
	if (!c)
		c = d->chains[head] = calloc(1, sizeof(*c));
	c->head = head;
	c->count = c->writable_from = 0;
	c->readable_length = c->writable_length = 0;
	struct vring_desc *table = d->vr.desc;
	unsigned size = d->num, count = 0;
	int indirect = 0;
	for (unsigned i = head;;) {
		if (i >= size)
			return fail(d, 4);
		if (++count > size)
			return fail(d, 5);
		struct vring_desc *desc = &table[i];
		uint64_t addr = desc->addr;
		uint32_t len = desc->len;
		uint16_t flags = desc->flags, next = desc->next;
		if (flags & VRING_DESC_F_INDIRECT) {
			if (indirect)
				return fail(d, 6);
			if (flags & VRING_DESC_F_NEXT)
				return fail(d, 7);
			if (len == 0 || len % sizeof(struct vring_desc) || len / sizeof(struct vring_desc) > MAX_QUEUE)
				return fail(d, 8);
			int64_t at = map(d, addr, len);
			if (at < 0)
				return NULL;
			table = (struct vring_desc *)(d->dma->memory + at);
			size = len / sizeof(struct vring_desc);
			indirect = 1;
			count = 0;
			i = 0;
			continue;
		}
		int write = (flags & VRING_DESC_F_WRITE) != 0;
		if (!write && c->count > c->writable_from)
			return fail(d, 11);
		int64_t at = map(d, addr, len);
		if (at < 0)
			return NULL;
		chain_add(c, (uint64_t)at, len, write);
		if (c->readable_length + c->writable_length >= (1ull << 32))
			return fail(d, 12);
		if (!(flags & VRING_DESC_F_NEXT))
			return c;
		i = next;
	}
}

static struct chain *pop(struct device *d)
{
	if (d->broken)
		return NULL;
	uint16_t idx = __atomic_load_n(&d->vr.avail->idx, __ATOMIC_ACQUIRE);
	uint16_t pending = (uint16_t)(idx - d->last_avail);
	if (!pending)
		return NULL;
	if (pending > d->num)
		return fail(d, 1);
	if (d->in_flight >= d->num)
		return fail(d, 2);
	uint16_t head = d->vr.avail->ring[d->last_avail % d->num];
	if (head >= d->num)
		return fail(d, 3);
	struct chain *c = walk(d, head);
	if (!c)
		return NULL;
	d->last_avail++;
	d->in_flight++;
	return c;
}

/* A used entry written, not yet published. */
static void push_entry(struct device *d, uint16_t head, uint32_t written)
{
	if (d->broken)
		return;
	if (d->in_flight == 0 || head >= d->num) {
		d->broken = 13;
		return;
	}
	struct vring_used_elem *e = &d->vr.used->ring[d->used_idx % d->num];
	e->id = head;
	e->len = written;
	d->used_idx++;
	d->in_flight--;
}

/* The used index stored for the driver, after the entries before it. */
static void publish_used(struct device *d)
{
	__atomic_store_n(&d->vr.used->idx, d->used_idx, __ATOMIC_RELEASE);
}

static void push(struct device *d, uint16_t head, uint32_t written)
{
	push_entry(d, head, written);
	publish_used(d);
}

struct buffer_ref {
	uint64_t iova;
	uint32_t length;
};

struct driver {
	struct vring vr;
	unsigned num, num_free;
	uint16_t free_head, avail_idx, last_used;
	uint16_t shadow_next[MAX_QUEUE];
	uint16_t chain_length[MAX_QUEUE];
	double writable[MAX_QUEUE];
	void *tokens[MAX_QUEUE];
};

static int add(struct driver *q, const struct buffer_ref *readable, unsigned nr, const struct buffer_ref *writable, unsigned nw, void *token)
{
	unsigned n = nr + nw;
	if (n == 0 || n > q->num_free)
		return -1;
	uint16_t head = q->free_head, i = head;
	double writable_bytes = 0;
	for (unsigned k = 0; k < nw; k++)
		writable_bytes += writable[k].length;
	for (unsigned k = 0; k < n; k++) {
		int is_write = k >= nr;
		const struct buffer_ref *b = is_write ? &writable[k - nr] : &readable[k];
		uint16_t next = q->shadow_next[i];
		struct vring_desc *desc = &q->vr.desc[i];
		desc->addr = b->iova;
		desc->len = b->length;
		desc->flags = (is_write ? VRING_DESC_F_WRITE : 0) | (k + 1 < n ? VRING_DESC_F_NEXT : 0);
		desc->next = k + 1 < n ? next : 0;
		if (k + 1 < n)
			i = next;
		else
			q->free_head = next;
	}
	q->num_free -= n;
	q->chain_length[head] = (uint16_t)n;
	q->writable[head] = writable_bytes;
	q->tokens[head] = token;
	q->vr.avail->ring[q->avail_idx % q->num] = head;
	q->avail_idx++;
	return head;
}

static void publish(struct driver *q)
{
	__atomic_store_n(&q->vr.avail->idx, q->avail_idx, __ATOMIC_RELEASE);
}

/* The head of the next used chain, -1 when there is none, -2 when the entry is refused. */
static int pop_used(struct driver *q)
{
	uint16_t used_idx = __atomic_load_n(&q->vr.used->idx, __ATOMIC_ACQUIRE);
	uint16_t pending = (uint16_t)(used_idx - q->last_used);
	if (!pending)
		return -1;
	if (pending > q->num)
		return -2;
	struct vring_used_elem *e = &q->vr.used->ring[q->last_used % q->num];
	uint32_t head = e->id, length = e->len;
	if (head >= q->num || q->writable[head] == NOT_IN_FLIGHT)
		return -2;
	if (length > q->writable[head])
		return -2;
	q->tokens[head] = NULL;
	q->writable[head] = NOT_IN_FLIGHT;
	q->last_used++;
	/* The chain's descriptors go back on the free list. */
	uint16_t last = (uint16_t)head;
	for (unsigned k = 1; k < q->chain_length[head]; k++)
		last = q->shadow_next[last];
	q->shadow_next[last] = q->free_head;
	q->free_head = (uint16_t)head;
	q->num_free += q->chain_length[head];
	q->chain_length[head] = 0;
	return (int)head;
}

static double seconds_since(const struct timespec *t0)
{
	struct timespec t1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

/*
 * The device and driver of `checked` and `threads` on one ring of `num` in the DMA arena (IOVA =
 * offset), with every descriptor free; returns the buffer each chain carries, past the ring.
 */
static struct buffer_ref setup(struct device *d, struct driver *q, unsigned num)
{
	static uint8_t arena[1 << 20] __attribute__((aligned(4096)));
	static struct dma dma = { arena, sizeof(arena) };
	size_t size = vring_size(num, 64);
	memset(d, 0, sizeof(*d));
	memset(q, 0, sizeof(*q));
	vring_init(&q->vr, num, arena, 64);
	vring_init(&d->vr, num, arena, 64);
	d->dma = &dma;
	d->num = q->num = q->num_free = num;
	for (unsigned i = 0; i < num; i++) {
		q->shadow_next[i] = (uint16_t)((i + 1) % num);
		q->writable[i] = NOT_IN_FLIGHT;
	}
	return (struct buffer_ref){ (size + 4095) & ~(size_t)4095, 64 };
}

static int checked(unsigned num, unsigned batch, unsigned long total)
{
	static struct device d;
	static struct driver q;
	struct buffer_ref readable = setup(&d, &q, num);
	unsigned long done = 0, checksum = 0;
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (done < total) {
		for (unsigned b = 0; b < batch; b++)
			if (add(&q, &readable, 1, NULL, 0, NULL) < 0)
				return 2;
		publish(&q);
		for (struct chain *c = pop(&d); c; c = pop(&d)) {
			checksum += c->readable_length;
			push(&d, c->head, 0);
		}
		if (d.broken)
			return 3;
		for (int h = pop_used(&q); h >= 0; h = pop_used(&q))
			done++;
	}
	printf("%.0f %lu\n", (double)done / seconds_since(&t0), checksum);
	return 0;
}

struct device_thread {
	struct device *d;
	int stop;
	unsigned long checksum;
};

/*
 * The device side of `threads`: pops whatever is available, then pushes it all and publishes
 * the used index once, as the JS device's popBurst and pushBurst do, until told to stop.
 */
static void *serve(void *arg)
{
	struct device_thread *t = arg;
	static uint16_t heads[MAX_QUEUE];
	while (!__atomic_load_n(&t->stop, __ATOMIC_ACQUIRE) && !t->d->broken) {
		unsigned n = 0;
		for (struct chain *c = pop(t->d); c; c = n < t->d->num ? pop(t->d) : NULL) {
			t->checksum += c->readable_length;
			heads[n++] = c->head;
		}
		for (unsigned k = 0; k < n; k++)
			push_entry(t->d, heads[k], 0);
		if (n)
			publish_used(t->d);
	}
	return NULL;
}

static int threads(unsigned num, unsigned batch, unsigned long total)
{
	static struct device d;
	static struct driver q;
	struct buffer_ref readable = setup(&d, &q, num);
	struct device_thread t = { &d, 0, 0 };
	pthread_t device;
	if (pthread_create(&device, NULL, serve, &t) != 0)
		return 4;
	unsigned long done = 0;
	int status = 0;
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (done < total && !status) {
		for (unsigned b = 0; b < batch; b++)
			if (add(&q, &readable, 1, NULL, 0, NULL) < 0)
				status = 2;
		publish(&q);
		for (unsigned got = 0; got < batch && !status;) {
			int h = pop_used(&q);
			if (h >= 0)
				got++, done++;
			else if (h == -2)
				status = 3;
			else if (__atomic_load_n(&d.broken, __ATOMIC_RELAXED))
				status = 3;
		}
	}
	double rate = (double)done / seconds_since(&t0);
	__atomic_store_n(&t.stop, 1, __ATOMIC_RELEASE);
	pthread_join(device, NULL);
	if (status)
		return status;
	printf("%.0f %lu\n", rate, t.checksum);
	return 0;
}

static int minimal(unsigned num, unsigned batch, unsigned long total)
{
	size_t size = vring_size(num, 64);
	void *mem = aligned_alloc(4096, (size + 4095) & ~(size_t)4095);
	struct vring vr;
	uint8_t buffer[64];
	uint16_t free_head = 0, avail_idx = 0, last_avail = 0, used_idx = 0, last_used = 0;
	static uint16_t next_free[MAX_QUEUE];
	unsigned long done = 0, checksum = 0;
	struct timespec t0;

	memset(mem, 0, size);
	vring_init(&vr, num, mem, 64);
	for (unsigned i = 0; i < num; i++)
		next_free[i] = (uint16_t)((i + 1) % num);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (done < total) {
		for (unsigned b = 0; b < batch; b++) { /* driver: add and make available */
			uint16_t head = free_head;
			free_head = next_free[head];
			vr.desc[head].addr = (uint64_t)(uintptr_t)buffer;
			vr.desc[head].len = sizeof(buffer);
			vr.desc[head].flags = 0;
			vr.avail->ring[avail_idx % num] = head;
			avail_idx++;
		}
		__atomic_store_n(&vr.avail->idx, avail_idx, __ATOMIC_RELEASE);
		for (;;) { /* device: pop, check, push */
			uint16_t idx = __atomic_load_n(&vr.avail->idx, __ATOMIC_ACQUIRE);
			uint16_t pending = (uint16_t)(idx - last_avail);
			if (!pending)
				break;
			if (pending > num)
				return 2;
			uint16_t head = vr.avail->ring[last_avail % num];
			if (head >= num || (vr.desc[head].flags & VRING_DESC_F_INDIRECT))
				return 3;
			checksum += vr.desc[head].len;
			last_avail++;
			vr.used->ring[used_idx % num].id = head;
			vr.used->ring[used_idx % num].len = 0;
			used_idx++;
			__atomic_store_n(&vr.used->idx, used_idx, __ATOMIC_RELEASE);
		}
		while (last_used != __atomic_load_n(&vr.used->idx, __ATOMIC_ACQUIRE)) { /* driver: collect */
			uint16_t id = (uint16_t)vr.used->ring[last_used % num].id;
			next_free[id] = free_head;
			free_head = id;
			last_used++;
			done++;
		}
	}
	printf("%.0f %lu\n", (double)done / seconds_since(&t0), checksum);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 5 || atoi(argv[2]) <= 0 || atoi(argv[2]) > MAX_QUEUE) {
		fprintf(stderr, "usage: ring minimal|checked|threads <queue size> <batch> <descriptors>\n");
		return 1;
	}
	unsigned num = (unsigned)atoi(argv[2]), batch = (unsigned)atoi(argv[3]);
	unsigned long total = strtoul(argv[4], NULL, 10);
	if (strcmp(argv[1], "threads") == 0)
		return threads(num, batch, total);
	return strcmp(argv[1], "checked") == 0 ? checked(num, batch, total) : minimal(num, batch, total);
}
