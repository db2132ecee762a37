// Device registers seen through an mmap of a region. A device decodes the width of every
// access (QEMU's edu answers nothing but 4- and 8-byte reads of its registers), so each read
// and write here is one load or store of exactly that width: a typed array element of that
// size is, while DataView and byte views may split an access into bytes.
import { u32, u64 } from '../codegen-v1.js';

export class Registers {
  private readonly words: Uint32Array;
  private readonly quads: BigUint64Array;

  /** `mapping` must start at a region offset aligned to 8, as an mmap of a BAR does. */
  constructor(readonly mapping: Uint8Array) {
    this.words = new Uint32Array(mapping.buffer, mapping.byteOffset, Math.floor(mapping.byteLength / u32.size));
    this.quads = new BigUint64Array(mapping.buffer, mapping.byteOffset, Math.floor(mapping.byteLength / u64.size));
  }

  read32(offset: number): number {
    return this.words[this.index(offset, u32.size)];
  }

  write32(offset: number, value: number): void {
    this.words[this.index(offset, u32.size)] = value;
  }

  read64(offset: number): bigint {
    return this.quads[this.index(offset, u64.size)];
  }

  write64(offset: number, value: bigint): void {
    this.quads[this.index(offset, u64.size)] = value;
  }

  private index(offset: number, width: number): number {
    if (offset % width !== 0 || offset < 0 || offset + width > this.mapping.byteLength) {
      throw new RangeError(`register access of ${width} bytes at offset 0x${offset.toString(16)} of a ${this.mapping.byteLength}-byte mapping`);
    }
    return offset / width;
  }
}
