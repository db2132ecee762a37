// A popped chain, pooled per head: where its buffers are in the backing memory, readable ones
// first. The device queue refuses a head offered again while it is in flight, so a pooled chain
// is never walked anew under its reader. Nothing is allocated per descriptor once the pool has
// grown to the chains' sizes. A consumer must not keep a chain after pushing it.
import { BYTE_LOOP_MAX } from '../policy.js';

/**
 * A position or count passed to the copies below. A negative one would reach the bytes before
 * a buffer (another chain's, or the rings), so it is refused, not clamped.
 */
function checkPosition(what: string, value: number, part?: string): void {
  // The message is built only when it is thrown: `${what} start` built for every call was a
  // string a copy, which the bench saw as collections whenever the engine did not inline this.
  if (!(Number.isInteger(value) && value >= 0)) throw new RangeError(`Chain: ${what}${part === undefined ? '' : ` ${part}`} ${value} is not a non-negative integer`);
}

/** `start` and `length` name bytes of `bytes`: whole numbers, within it. */
function checkRange(what: string, bytes: Uint8Array, start: number, length: number): void {
  checkPosition(what, start, 'start');
  checkPosition(what, length, 'length');
  if (start + length > bytes.length) throw new RangeError(`Chain: ${what} bytes ${start} to ${start + length} of ${bytes.length}`);
}

export class Chain {
  head = 0;
  /**
   * Buffers in the chain, each contiguous in memory (a buffer across two IOMMU mappings is two
   * here); the first `writableFrom` are readable.
   */
  count = 0;
  writableFrom = 0;
  readableLength = 0;
  writableLength = 0;
  // Offsets are any safe integer and lengths any 32-bit count: DMA memory may be larger than
  // 2 GiB, and Int32Arrays here once turned an offset past it negative, which copyWithin then
  // counts from the end of memory.
  offsets = new Float64Array(1);
  lengths = new Uint32Array(1);

  constructor(readonly memory: Uint8Array) {}

  reset(head: number): this {
    this.head = head;
    this.count = 0;
    this.writableFrom = 0;
    this.readableLength = 0;
    this.writableLength = 0;
    return this;
  }

  add(offset: number, length: number, write: boolean): void {
    if (this.count === this.offsets.length) {
      const grown = this.count + this.count;
      const o = new Float64Array(grown);
      const l = new Uint32Array(grown);
      o.set(this.offsets);
      l.set(this.lengths);
      this.offsets = o;
      this.lengths = l;
    }
    this.offsets[this.count] = offset;
    this.lengths[this.count] = length;
    this.count++;
    if (write) this.writableLength += length;
    else {
      this.writableFrom = this.count;
      this.readableLength += length;
    }
  }

  /** Views of the readable buffers (allocates: for tests and cold paths). */
  get readable(): Uint8Array[] {
    return Array.from({ length: this.writableFrom }, (_, k) => this.memory.subarray(this.offsets[k], this.offsets[k] + this.lengths[k]));
  }

  /** Views of the writable buffers (allocates: for tests and cold paths). */
  get writable(): Uint8Array[] {
    return Array.from({ length: this.count - this.writableFrom }, (_, k) => {
      const i = this.writableFrom + k;
      return this.memory.subarray(this.offsets[i], this.offsets[i] + this.lengths[i]);
    });
  }

  /**
   * Copies `length` of this chain's readable bytes from `skip` on into `target`'s writable bytes
   * from `at` on, both in the same memory (copyWithin: no allocation). Returns the count copied.
   */
  copyReadableTo(target: Chain, skip: number, at: number, length: number): number {
    checkPosition('skip', skip);
    checkPosition('at', at);
    checkPosition('length', length);
    let copied = 0;
    let r = 0;
    let rPos = skip;
    let w = target.writableFrom;
    let wPos = at;
    while (copied < length && r < this.writableFrom && w < target.count) {
      if (rPos >= this.lengths[r]) {
        rPos -= this.lengths[r++];
        continue;
      }
      if (wPos >= target.lengths[w]) {
        wPos -= target.lengths[w++];
        continue;
      }
      const n = Math.min(this.lengths[r] - rPos, target.lengths[w] - wPos, length - copied);
      const src = this.offsets[r] + rPos;
      this.memory.copyWithin(target.offsets[w] + wPos, src, src + n);
      copied += n;
      rPos += n;
      wPos += n;
    }
    return copied;
  }

  /**
   * Copies readable bytes from `skip` on into `out`, at most `length` of them from `outStart` on
   * (by default, all of `out`); returns the count copied. A range of `out` is given as numbers,
   * not as a view of it, so a device copying into its own store (a disk) makes no view per request.
   */
  readInto(skip: number, out: Uint8Array, outStart = 0, length = out.length - outStart): number {
    checkPosition('skip', skip);
    checkRange('out', out, outStart, length);
    let copied = 0;
    let pos = skip;
    for (let r = 0; r < this.writableFrom && copied < length; r++) {
      if (pos >= this.lengths[r]) {
        pos -= this.lengths[r];
        continue;
      }
      const n = Math.min(this.lengths[r] - pos, length - copied);
      const from = this.offsets[r] + pos;
      const to = outStart + copied;
      // As in writeBytes: a short piece (a request header) by hand, a long one through a view.
      if (n <= BYTE_LOOP_MAX) for (let k = 0; k < n; k++) out[to + k] = this.memory[from + k];
      else out.set(this.memory.subarray(from, from + n), to);
      copied += n;
      pos = 0;
    }
    return copied;
  }

  /**
   * Writes bytes into the writable buffers from `at` on: `length` bytes of `data` from `from` on
   * (by default, all of it); returns the count written. As readInto, the range is given as numbers.
   */
  writeBytes(data: Uint8Array, at: number, from = 0, length = data.length - from): number {
    checkPosition('at', at);
    checkRange('data', data, from, length);
    let written = 0;
    let w = this.writableFrom;
    let pos = at;
    while (written < length && w < this.count) {
      if (pos >= this.lengths[w]) {
        pos -= this.lengths[w++];
        continue;
      }
      const n = Math.min(this.lengths[w] - pos, length - written);
      const to = this.offsets[w] + pos;
      const src = from + written;
      // A short piece (a virtio-net header, a status byte) is copied by hand: a view made to copy
      // it would be garbage per frame. A long one (a block) is worth the view that lets set() copy in bulk.
      if (n <= BYTE_LOOP_MAX) for (let k = 0; k < n; k++) this.memory[to + k] = data[src + k];
      else this.memory.set(data.subarray(src, src + n), to);
      written += n;
      pos += n;
    }
    return written;
  }
}
