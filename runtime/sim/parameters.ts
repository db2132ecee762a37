// Design choices of the simulated vfio-vhost device and its process, in one place. None of
// these is a UAPI number (those come from generated/): they are what this device is, the way
// a hardware vendor picks its BAR sizes.

/** The page size of the simulated machine (x86). */
export const PAGE_SIZE = 4096;
/** Region file offsets are the region index shifted by 40 bits, as vfio-pci and the RFC lay them out. */
export const REGION_INDEX_SHIFT = 40n;
/** The config region: the RFC's 16 MiB control channel. */
export const CONFIG_REGION_SIZE = 16n << 20n;
/** A net device: queue 0 receives, queue 1 transmits. */
export const QUEUES = 2;
export const RX_QUEUE = 0;
export const TX_QUEUE = 1;
/** The largest ring the device accepts: virtio's own limit. */
export { VIRTQUEUE_MAX_SIZE as MAX_QUEUE_SIZE } from '../policy.js';
/** The IOMMU group and the mdev UUID the device is found under. */
export const GROUP_ID = 7;
export const DEVICE_NAME = '4f611f6a-2e78-4219-a000-0000000000a1';
/** Memory the simulated process can hand to DMA, and where it appears in its address space. */
export const DMA_MEMORY_SIZE = 64 << 20;
export const DMA_BASE_VADDR = 0x7f00_0000_0000n;
/** The IOMMU's input address width: IOVAs below 2^48 are valid (x86-64 paging). */
export const IOVA_BITS = 48n;
/** The first fd a process gets: 0, 1 and 2 are its standard streams. */
export const FIRST_FD = 3;
/** The MAC address in the device's config space (locally administered). */
export const MAC = [0x02, 0x00, 0x5e, 0x10, 0x00, 0x01];
