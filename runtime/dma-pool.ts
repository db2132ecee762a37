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

  /**
   * The next `size` bytes at a multiple of `align` from the block's start (which the mapping
   * puts on a page boundary, in the process and in IOVA alike). A size that is not a whole
   * number of bytes, or an alignment that is not a power of two, is refused: either would
   * hand out a piece at a NaN offset, as empty bytes, without a word.
   */
  alloc(size: number, align = 1): DmaPiece {
    if (!(Number.isInteger(size) && size >= 0)) throw new RangeError(`DMA pool: size ${size} is not a whole number of bytes`);
    if (!(Number.isInteger(align) && align >= 1 && (align & (align - 1)) === 0)) throw new RangeError(`DMA pool: alignment ${align} is not a power of two`);
    const at = Math.ceil(this.next / align) * align;
    if (at + size > this.block.bytes.length) throw new RangeError(`DMA pool: ${size} bytes do not fit (${this.block.bytes.length - at} left)`);
    this.next = at + size;
    return { iova: this.iovaBase + BigInt(at), vaddr: this.block.vaddr + BigInt(at), bytes: this.block.bytes.subarray(at, at + size) };
  }
}
