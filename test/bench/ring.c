/*
 * The C reference for `npm run bench`: the same split-ring protocol as runtime/virtio, driver
 * and device in one thread. Each round the driver makes `batch` one-descriptor chains
 * available, the device pops each (checking the avail index, head and flags, as the JS device
 * does at least) and pushes it used, and the driver collects them.
 * Usage: ring <queue size> <batch> <descriptors>   prints descriptors per second.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <linux/virtio_ring.h>

int main(int argc, char **argv)
{
	unsigned num = (unsigned)atoi(argv[1]), batch = (unsigned)atoi(argv[2]);
	unsigned long total = strtoul(argv[3], NULL, 10);
	size_t size = vring_size(num, 64);
	void *mem = aligned_alloc(4096, (size + 4095) & ~(size_t)4095);
	struct vring vr;
	uint8_t buffer[64];
	uint16_t free_head = 0, avail_idx = 0, last_avail = 0, used_idx = 0, last_used = 0;
	uint16_t next_free[32768];
	unsigned long done = 0, checksum = 0;
	struct timespec t0, t1;

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
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("%.0f %lu\n", (double)done / s, checksum);
	return 0;
}
