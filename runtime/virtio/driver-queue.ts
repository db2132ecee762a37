// The driver side of a split virtqueue: adds chains of readable then writable buffers,
// publishes them, decides whether to kick (VRING_USED_F_NO_NOTIFY, or the event-idx rule),
// and collects used buffers. Free descriptors are kept in a shadow list the device cannot
// touch; in steady state nothing is allocated per descriptor. A used entry the driver never
// made available, or one claiming more bytes than the chain could take, is an error.
import { VRING_AVAIL_F_NO_INTERRUPT, VRING_DESC_F_INDIRECT, VRING_DESC_F_NEXT, VRING_DESC_F_WRITE, VRING_USED_F_NO_NOTIFY } from '../../generated/virtio_ring.js';
import { u32 } from '../codegen-v1.js';
import { BITS_PER_BYTE, VIRTQUEUE_MAX_SIZE } from '../policy.js';
import { AVAIL, DESC, eventOffsets, INDEX_MASK, needEvent, USED } from './split-layout.js';

export interface DmaSpan {
  iova: bigint;
  bytes: Uint8Array;
}

export interface BufferRef {
  iova: bigint;
  length: number;
}

export class QueueFullError extends Error {
  override name = 'QueueFullError';
}

export class DriverRingError extends Error {
  override name = 'DriverRingError';
  constructor(
    readonly fault: 'used-index-jump' | 'used-id-not-in-flight' | 'used-length-too-long',
    message: string,
  ) {
    super(message);
  }
}

const view = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);
const NOT_IN_FLIGHT = -1;
const WORD = Number(1n << BigInt(u32.size * BITS_PER_BYTE));

export class SplitQueueDriver<T = unknown> {
  private readonly desc: DataView;
  private readonly avail: DataView;
  private readonly used: DataView;
  private readonly events: { usedEvent: number; availEvent: number };
  /** Free descriptors, linked through shadowNext; the device never sees this list. */
  private readonly shadowNext: Uint16Array;
  private freeHead = 0;
  private numFree: number;
  /** Per head: descriptors the chain took (0 when free), writable bytes (-1 when not in flight), token. */
  private readonly chainLength: Uint16Array;
  private readonly writable: Float64Array;
  private readonly tokens: (T | undefined)[];
  /** index mod num, as a mask: num is a power of two, and a division costs more than the rest of an add. */
  private readonly slotMask: number;
  private availIdx = 0;
  private kickedAt = 0;
  private lastUsed = 0;

  constructor(
    readonly num: number,
    readonly rings: { desc: DmaSpan; avail: DmaSpan; used: DmaSpan },
    readonly eventIdx: boolean,
  ) {
    if (num <= 0 || num > VIRTQUEUE_MAX_SIZE || (num & (num - 1)) !== 0) throw new RangeError(`ring size ${num} is not a power of two up to ${VIRTQUEUE_MAX_SIZE}`);
    this.slotMask = num - 1;
    this.desc = view(rings.desc.bytes);
    this.avail = view(rings.avail.bytes);
    this.used = view(rings.used.bytes);
    this.events = eventOffsets(num);
    this.shadowNext = new Uint16Array(num);
    for (let i = 0; i < num - 1; i++) this.shadowNext[i] = i + 1;
    this.numFree = num;
    this.chainLength = new Uint16Array(num);
    this.writable = new Float64Array(num).fill(NOT_IN_FLIGHT);
    this.tokens = new Array(num).fill(undefined);
  }

  get free(): number {
    return this.numFree;
  }

  private writeDesc(table: DataView, i: number, b: BufferRef, flags: number, next: number): void {
    const at = i * DESC.size;
    // The address as two 32-bit words when it is a safe integer: a BigInt store is a runtime
    // call in the engine, and this is the driver's hottest line.
    const addr = Number(b.iova);
    if (addr <= Number.MAX_SAFE_INTEGER) {
      const hi = Math.floor(addr / WORD);
      table.setUint32(at + DESC.addr, addr - hi * WORD, true);
      table.setUint32(at + DESC.addr + u32.size, hi, true);
    } else table.setBigUint64(at + DESC.addr, b.iova, true);
    table.setUint32(at + DESC.len, b.length, true);
    table.setUint16(at + DESC.flags, flags, true);
    table.setUint16(at + DESC.next, next, true);
  }

  /**
   * Adds a chain (readable buffers first, then writable ones) and makes it available, unpublished.
   * With `indirect`, the chain goes in that table (DMA memory of the caller's) and takes one ring slot.
   */
  add(readable: BufferRef[], writable: BufferRef[], token?: T, indirect?: DmaSpan): number {
    const n = readable.length + writable.length;
    if (n === 0) throw new RangeError('a chain needs at least one buffer');
    const slots = indirect ? 1 : n;
    if (slots > this.numFree) throw new QueueFullError(`${slots} descriptors needed, ${this.numFree} free`);
    const head = this.freeHead;
    let writableBytes = 0;
    for (let k = 0; k < writable.length; k++) writableBytes += writable[k].length;
    if (indirect) {
      if (indirect.bytes.length < n * DESC.size) throw new RangeError(`an indirect table for ${n} buffers needs ${n * DESC.size} bytes`);
      const table = view(indirect.bytes);
      for (let k = 0; k < n; k++) {
        const isWrite = k >= readable.length;
        const b = isWrite ? writable[k - readable.length] : readable[k];
        this.writeDesc(table, k, b, (isWrite ? VRING_DESC_F_WRITE : 0) | (k + 1 < n ? VRING_DESC_F_NEXT : 0), k + 1 < n ? k + 1 : 0);
      }
      this.writeDesc(this.desc, head, { iova: indirect.iova, length: n * DESC.size }, VRING_DESC_F_INDIRECT, 0);
      this.freeHead = this.shadowNext[head];
    } else {
      let i = head;
      for (let k = 0; k < n; k++) {
        const isWrite = k >= readable.length;
        const b = isWrite ? writable[k - readable.length] : readable[k];
        const next = this.shadowNext[i];
        this.writeDesc(this.desc, i, b, (isWrite ? VRING_DESC_F_WRITE : 0) | (k + 1 < n ? VRING_DESC_F_NEXT : 0), k + 1 < n ? next : 0);
        if (k + 1 < n) i = next;
        else this.freeHead = next;
      }
    }
    this.numFree -= slots;
    this.chainLength[head] = slots;
    this.writable[head] = writableBytes;
    this.tokens[head] = token;
    this.avail.setUint16(AVAIL.ring + AVAIL.entry * (this.availIdx & this.slotMask), head, true);
    this.availIdx = (this.availIdx + 1) & INDEX_MASK;
    return head;
  }

  /** Makes every added chain visible to the device. */
  publish(): void {
    this.avail.setUint16(AVAIL.idx, this.availIdx, true);
  }

  /** Whether the device wants a kick for what was published since the last kick. */
  shouldKick(): boolean {
    const old = this.kickedAt;
    this.kickedAt = this.availIdx;
    if (old === this.availIdx) return false;
    if (this.eventIdx) return needEvent(this.used.getUint16(this.events.availEvent, true), this.availIdx, old);
    return (this.used.getUint16(USED.flags, true) & VRING_USED_F_NO_NOTIFY) === 0;
  }

  /** Asks for interrupts (or not): the flag without event idx, used_event with it. */
  setInterrupts(enabled: boolean): void {
    if (this.eventIdx) {
      if (enabled) this.avail.setUint16(this.events.usedEvent, this.lastUsed, true);
    } else this.avail.setUint16(AVAIL.flags, enabled ? 0 : VRING_AVAIL_F_NO_INTERRUPT, true);
  }

  /** The next used chain, with the bytes the device wrote, or undefined when none (allocates the answer). */
  getUsed(): { head: number; length: number; token: T | undefined } | undefined {
    const head = this.popUsed();
    return head < 0 ? undefined : { head, length: this.usedLength, token: this.usedToken };
  }

  /** Length and token of the chain popUsed() last returned. */
  usedLength = 0;
  usedToken: T | undefined;

  /** The head of the next used chain (its length and token in usedLength, usedToken), or -1: allocates nothing. */
  popUsed(): number {
    const usedIdx = this.used.getUint16(USED.idx, true);
    const pending = (usedIdx - this.lastUsed) & INDEX_MASK;
    if (pending === 0) return NOT_IN_FLIGHT;
    if (pending > this.num) throw new DriverRingError('used-index-jump', `used index moved by ${pending} on a ring of ${this.num}`);
    const at = USED.ring + USED.elem * (this.lastUsed & this.slotMask);
    const head = this.used.getUint32(at + USED.id, true);
    const length = this.used.getUint32(at + USED.len, true);
    if (head >= this.num || this.writable[head] === NOT_IN_FLIGHT) throw new DriverRingError('used-id-not-in-flight', `used id ${head} is not in flight`);
    if (length > this.writable[head]) throw new DriverRingError('used-length-too-long', `used length ${length} for a chain with ${this.writable[head]} writable bytes`);
    const token = this.tokens[head];
    // Back onto the free list: the chain's descriptors, followed by the old free list.
    let tail = head;
    for (let k = 1; k < this.chainLength[head]; k++) tail = this.shadowNext[tail];
    this.shadowNext[tail] = this.freeHead;
    this.freeHead = head;
    this.numFree += this.chainLength[head];
    this.chainLength[head] = 0;
    this.writable[head] = NOT_IN_FLIGHT;
    this.tokens[head] = undefined;
    this.lastUsed = (this.lastUsed + 1) & INDEX_MASK;
    if (this.eventIdx) this.avail.setUint16(this.events.usedEvent, this.lastUsed, true);
    this.usedLength = length;
    this.usedToken = token;
    return head;
  }
}
