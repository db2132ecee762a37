// Queues in one block of "DMA memory" where IOVA = offset, for datapath tests.
import { DmaView, SplitQueueDevice } from '../../runtime/virtio/device-queue.js';
import { SplitQueueDriver } from '../../runtime/virtio/driver-queue.js';
import { ringIovas, splitSizes } from '../../runtime/virtio/split-layout.js';
import type { RingOrdering } from '../../runtime/virtio/ring-words.js';

/** A piece of the arena: its IOVA (its offset) and its bytes. */
export interface ArenaSpan {
  iova: bigint;
  bytes: Uint8Array;
}

/** The runtime's, here beside the arena whose rings the tests hand it. */
export { ringIovas };

export class DmaArena {
  readonly mem: Uint8Array;
  private next = 0;
  /** IOVA = offset: the identity IOMMU over this arena. */
  get dma(): DmaView {
    return {
      memory: this.mem,
      translate: (iova, length) => {
        if (iova < 0 || iova + length > this.mem.length) throw new Error(`iova 0x${iova.toString(16)}+${length} unmapped`);
        return iova;
      },
    };
  }

  constructor(size: number) {
    this.mem = new Uint8Array(new SharedArrayBuffer(size));
  }

  alloc(size: number, align = 4096): ArenaSpan {
    const at = Math.ceil(this.next / align) * align;
    this.next = at + size;
    if (this.next > this.mem.length) throw new RangeError('arena full');
    return { iova: BigInt(at), bytes: this.mem.subarray(at, at + size) };
  }

  /** The three parts of a ring of `num`, each on a page of its own. */
  rings(num: number): { desc: ArenaSpan; avail: ArenaSpan; used: ArenaSpan } {
    const s = splitSizes(num);
    return { desc: this.alloc(s.desc), avail: this.alloc(s.avail), used: this.alloc(s.used) };
  }

  /** A driver and a device on one ring; both in this thread, so 'same-thread' ordering is as correct as the default. */
  queue<T>(num: number, eventIdx = false, ordering: RingOrdering = 'shared'): { driver: SplitQueueDriver<T>; device: SplitQueueDevice; rings: { desc: number; avail: number; used: number } } {
    const spans = this.rings(num);
    const { desc, avail, used } = ringIovas(spans);
    return {
      driver: new SplitQueueDriver<T>(num, spans, eventIdx, ordering),
      device: new SplitQueueDevice(num, { desc, avail, used }, this.dma, eventIdx, 0, ordering),
      rings: { desc: Number(desc), avail: Number(avail), used: Number(used) },
    };
  }
}
