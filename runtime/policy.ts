// The runtime's own numbers: its limits and the machine facts it relies on, not numbers of the
// UAPI (those come from generated/). Kept in one place so that a reader sees every number the
// runtime picked itself.

/** Bits in a byte: ring indexes are 16-bit counters that wrap at 1 << (2 bytes * 8). */
export const BITS_PER_BYTE = 8;

/** How many times an argsz query is asked: it must grow each time, so a device cannot keep it looping (QEMU's rule, bounded). */
export const ARGSZ_MAX_ROUNDS = 4;

/** Virtio's largest split-ring size (virtio 1.x, 2.7): also the cap on an indirect table. */
export const VIRTQUEUE_MAX_SIZE = 32768;

/** A virtio-blk sector is always 512 bytes, whatever the disk's block size (virtio 1.x, 5.2.6). */
export const VIRTIO_BLK_SECTOR_SIZE = 512;

/** How long the device thread sleeps waiting for a kick before it looks again (ms). */
export const WORKER_WAIT_MS = 50;

/**
 * How long each side of a worker-thread device polls before it sleeps (µs: the device its rings,
 * the driver its interrupt counter), as vhost-net's busyloop_timeout does. One frame there and
 * back at batch 1 took about 25 µs with both sides sleeping through the kernel, about 2 µs with
 * both polling (npm run bench). Polling costs a core while it lasts; 0 turns it off.
 */
export const WORKER_POLL_US = 50;

/** performance.now() counts milliseconds; poll times are given in microseconds, as vhost's are. */
export const MICROSECONDS_PER_MILLISECOND = 1000;

/** A poll reads the clock once every this many looks (at a counter, or at the rings): a clock read costs more than a look. */
export const POLLS_PER_CLOCK_READ = 64;

/** Queues each worker-thread device has: the net loopback RX and TX, the block RAM disk one. */
export const THREADED_DEVICE_QUEUES = { net: 2, block: 1 } as const;

/** Queues a worker-thread device has at most: one interrupt counter each. */
export const MAX_THREADED_QUEUES = Math.max(...Object.values(THREADED_DEVICE_QUEUES));

/** "No file": the fd mmap takes for anonymous memory, and the one NET_SET_BACKEND takes to detach. */
export const NO_FILE = -1;

/** How many times a reset device's status is read back before giving up (virtio 1.x, 4.1.4.3.2: the driver waits for 0). */
export const VIRTIO_RESET_POLLS = 1000;

/** How many PCI capabilities a config space can hold at most (256 bytes, 4-byte aligned entries past the header): a longer list loops. */
export const PCI_MAX_CAPABILITIES = 48;

/** Up to this many bytes a chain copies with a loop; past it, with one bulk copy through a view (an allocation). */
export const BYTE_LOOP_MAX = 64;
