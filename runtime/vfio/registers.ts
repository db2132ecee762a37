// Device registers seen through an mmap of a region. A device decodes the width of every
// access (QEMU's edu answers nothing but 4- and 8-byte reads of its registers), so each read
// and write here is one load or store of exactly that width: a typed array element of that
// size is, while DataView and byte views may split an access into bytes.
import { RecordCodec, u16, u32, u64, u8 } from '../codegen-v1.js';

export class Registers {
  private readonly bytes: Uint8Array;
  private readonly halves: Uint16Array;
  private readonly words: Uint32Array;
  private readonly quads: BigUint64Array;

  /** `mapping` must start at a region offset aligned to 8, as an mmap of a BAR does. */
  constructor(readonly mapping: Uint8Array) {
    this.bytes = mapping;
    this.halves = new Uint16Array(mapping.buffer, mapping.byteOffset, Math.floor(mapping.byteLength / u16.size));
    this.words = new Uint32Array(mapping.buffer, mapping.byteOffset, Math.floor(mapping.byteLength / u32.size));
    this.quads = new BigUint64Array(mapping.buffer, mapping.byteOffset, Math.floor(mapping.byteLength / u64.size));
  }

  read8(offset: number): number {
    return this.bytes[this.index(offset, u8.size)];
  }

  write8(offset: number, value: number): void {
    this.bytes[this.index(offset, u8.size)] = value;
  }

  read16(offset: number): number {
    return this.halves[this.index(offset, u16.size)];
  }

  write16(offset: number, value: number): void {
    this.halves[this.index(offset, u16.size)] = value;
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

  /**
   * A field of a register block laid out as a generated record (virtio_pci_common_cfg at `base`):
   * its offset and its access width both come from the record's codec.
   */
  readField<T>(base: number, record: RecordCodec<T>, field: keyof T & string): number {
    const { array, index } = this.fieldAccess(base, record, field);
    return array[index];
  }

  writeField<T>(base: number, record: RecordCodec<T>, field: keyof T & string, value: number): void {
    const { array, index } = this.fieldAccess(base, record, field);
    array[index] = value;
  }

  /** The view of the field's width, and the field's index in it. */
  private fieldAccess<T>(base: number, record: RecordCodec<T>, field: keyof T & string): { array: Uint8Array | Uint16Array | Uint32Array; index: number } {
    const f = record.fields[field];
    const width = f.codec.size;
    const array = width === u8.size ? this.bytes : width === u16.size ? this.halves : width === u32.size ? this.words : undefined;
    if (!array) throw new RangeError(`${record.name}.${field}: a ${width}-byte register is not a number`);
    return { array, index: this.index(base + f.offset, width) };
  }

  private index(offset: number, width: number): number {
    if (offset % width !== 0 || offset < 0 || offset + width > this.mapping.byteLength) {
      throw new RangeError(`register access of ${width} bytes at offset 0x${offset.toString(16)} of a ${this.mapping.byteLength}-byte mapping`);
    }
    return offset / width;
  }
}
