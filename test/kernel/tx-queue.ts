// A device's TX queue as the driver-side kernel checks drive it (event-idx-rounds.ts,
// interrupts-off.ts): the same frame in every buffer, sent a chain a frame.
import type { DmaPiece } from '../../runtime/dma-pool.js';
import type { SplitQueueDriver } from '../../runtime/virtio/driver-queue.js';

export interface TxQueue {
  tx: SplitQueueDriver<number>;
  /** One buffer per ring slot, each holding the frame (its virtio-net header included) of `length` bytes. */
  bufs: DmaPiece[];
  length: number;
  kick: () => void;
  /** The eventfd the TX queue's interrupt signals. */
  irq: number;
}
