// DMA memory for a driver: one block of process memory mapped into the device's IOMMU at an
// IOVA, handed out in aligned pieces that know their IOVA, their address in this process and
// their bytes.
import { Backend } from './backend.js';

export interface DmaPiece {
  iova: bigint;
  /** Where the piece is in this process (vhost's ring addresses are these). */
  vaddr: bigint;
  bytes: Uint8Array;
}

/** What makes process memory reachable by a device: a VFIO container, or vhost's memory table. */
export interface DmaMapper {
  mapDma(vaddr: bigint, iova: bigint, size: bigint): void;
}

export class DmaPool {
  private readonly block: { vaddr: bigint; bytes: Uint8Array };
  private next = 0;

  constructor(
    backend: Backend,
    mapper: DmaMapper,
    size: number,
    readonly iovaBase: bigint,
  ) {
    this.block = backend.allocDma(size);
    mapper.mapDma(this.block.vaddr, iovaBase, BigInt(this.block.bytes.length));
  }

  alloc(size: number, align = 1): DmaPiece {
    const at = Math.ceil(this.next / align) * align;
    if (at + size > this.block.bytes.length) throw new RangeError(`DMA pool: ${size} bytes do not fit (${this.block.bytes.length - at} left)`);
    this.next = at + size;
    return { iova: this.iovaBase + BigInt(at), vaddr: this.block.vaddr + BigInt(at), bytes: this.block.bytes.subarray(at, at + size) };
  }
}
