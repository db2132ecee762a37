// What the demo does: sizes and counts of its own choosing (not UAPI numbers).
export const FRAMES = 200_000;
export const FRAME_MIN = 60;
export const FRAME_MAX = 1514;
/** Frames of up to 64 KiB (as a GSO frame runs) sent after the others, each spread over RX buffers of FRAME_MAX. */
export const GSO_FRAMES = 2_000;
export const GSO_FRAME_MAX = 65_535;
export const RING_SIZE = 256;
/** Buffers posted at a time on each queue. */
export const BATCH = 128;
export const DMA_POOL_SIZE = 8 << 20;
export const IOVA_BASE = 0x1_0000_0000n;
export const BLOCK_WRITES = 10_000;
export const BLOCK_CAPACITY_SECTORS = 4096n;
export const BLOCK_MAX_SECTORS = 16;
export const SEED = 2019;
