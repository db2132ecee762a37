// DMA memory for a driver: one block of process memory mapped into the device's IOMMU at an
// IOVA, handed out in aligned pieces that know both their IOVA and their bytes.
import { Backend } from './backend.js';
import { Container } from './vfio/container.js';

export interface DmaPiece {
  iova: bigint;
  bytes: Uint8Array;
}

export class DmaPool {
  private readonly block: { vaddr: bigint; bytes: Uint8Array };
  private next = 0;

  constructor(
    backend: Backend,
    container: Container,
    size: number,
    readonly iovaBase: bigint,
  ) {
    this.block = backend.allocDma(size);
    container.mapDma(this.block.vaddr, iovaBase, BigInt(this.block.bytes.length));
  }

  alloc(size: number, align = 1): DmaPiece {
    const at = Math.ceil(this.next / align) * align;
    if (at + size > this.block.bytes.length) throw new RangeError(`DMA pool: ${size} bytes do not fit (${this.block.bytes.length - at} left)`);
    this.next = at + size;
    return { iova: this.iovaBase + BigInt(at), bytes: this.block.bytes.subarray(at, at + size) };
  }
}
