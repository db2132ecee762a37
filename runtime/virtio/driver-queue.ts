// The driver side of a split virtqueue: adds chains of readable then writable buffers,
// publishes them, decides whether to kick (VRING_USED_F_NO_NOTIFY, or the event-idx rule),
// and collects used buffers. Free descriptors are kept in a shadow list the device cannot
// touch; in steady state nothing is allocated per descriptor. A used entry the driver never
// made available, or one claiming more bytes than the chain could take, is an error.
import * as ring from '../../generated/virtio_ring.js';
import { u32, u64 } from '../codegen-v1.js';
import { BITS_PER_BYTE, VIRTQUEUE_MAX_SIZE } from '../policy.js';
import { badBurstCount, fitsBurst } from './burst-count.js';
import { ringWords, type RingOrdering, type RingWords } from './ring-words.js';
import { AVAIL, DESC, EVENT_NOT_NOW, eventOffsets, INDEX_MASK as LAYOUT_INDEX_MASK, needEvent, splitSizes, USED } from './split-layout.js';

// The layout as module-local constants. In the engine's optimised code a field of an imported
// object costs, at every use, a load of the binding, a check of the object's shape and a load
// of the field; a module-local const is one load. Measured with npm run bench: about a fifth
// more descriptors per second.
const { size: DESC_SIZE, addr: DESC_ADDR, len: DESC_LEN, flags: DESC_FLAGS, next: DESC_NEXT } = DESC;
const { ring: AVAIL_RING, entry: AVAIL_ENTRY, idx: AVAIL_IDX, flags: AVAIL_FLAGS } = AVAIL;
const { ring: USED_RING, elem: USED_ELEM, idx: USED_IDX, id: USED_ID, len: USED_LEN, flags: USED_FLAGS } = USED;
const INDEX_MASK = LAYOUT_INDEX_MASK;
/** The high word of a descriptor's address. */
const DESC_ADDR_HIGH = DESC_ADDR + u32.size;
const { VRING_AVAIL_F_NO_INTERRUPT, VRING_DESC_F_INDIRECT, VRING_DESC_F_NEXT, VRING_DESC_F_WRITE, VRING_USED_F_NO_NOTIFY } = ring;

/**
 * An IOVA is a bigint, as VFIO gives it, or a number when it is a safe integer (below 2^53, far
 * above any IOMMU's input width): a number costs the driver no conversion per descriptor.
 */
export type Iova = bigint | number;

export interface DmaSpan {
  iova: Iova;
  bytes: Uint8Array;
}

export interface BufferRef {
  iova: Iova;
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
const ADDRESS_LIMIT = 1n << BigInt(u64.size * BITS_PER_BYTE);

// Errors are made out of line: a template in a hot method is code that keeps it from being inlined.
const emptyChain = () => new RangeError('a chain needs at least one buffer');
const chainTooLong = (n: number, num: number) => new RangeError(`a chain of ${n} buffers on a ring of ${num}: no chain may be longer than the ring`);
const queueFull = (needed: number, free: number) => new QueueFullError(`${needed} descriptors needed, ${free} free`);
const USED_FAULT_MESSAGES = {
  'used-index-jump': (moved: number, num: number) => `used index moved by ${moved} on a ring of ${num}`,
  'used-id-not-in-flight': (id: number) => `used id ${id} is not in flight`,
  'used-length-too-long': (length: number, writable: number) => `used length ${length} for a chain with ${writable} writable bytes`,
} satisfies Record<DriverRingError['fault'], (a: number, b: number) => string>;
const badBurst = (count: number, buffers: number, tokens: number | undefined) => new RangeError(`a burst of ${count} from ${buffers} buffers and ${tokens ?? 'no'} tokens`);
/** A descriptor's length is a 32-bit field: anything else would be written wrapped or as 0. */
const badLength = (length: number) => new RangeError(`buffer length ${length} is not an integer from 0 to 2^32-1`);
/** `length`, when it fits a descriptor's length field; a RangeError otherwise. */
function descriptorLength(length: number): number {
  if (length >>> 0 !== length) throw badLength(length);
  return length;
}
const usedFault = (fault: DriverRingError['fault'], a: number, b: number) => new DriverRingError(fault, USED_FAULT_MESSAGES[fault](a, b));

export class SplitQueueDriver<T = unknown> {
  private readonly desc: DataView;
  private readonly avail: DataView;
  private readonly used: DataView;
  /** The words the device reads and writes too (indexes, events, flags), through Atomics. */
  private readonly availWords: RingWords;
  private readonly usedWords: RingWords;
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
  /**
   * Chains added since shouldKick last answered. The kick rule compares 16-bit distances, so it
   * needs the count, not the index it started from: 65,536 chains later that index is the same.
   */
  private addedSinceKickCheck = 0;
  private lastUsed = 0;
  /**
   * What setInterrupts last asked, as used_event's distance past lastUsed under event idx: 0
   * for the next entry, EVENT_NOT_NOW for none. popUsedBurst moves used_event on by it.
   */
  private usedEventAhead = 0;
  /** The burst's arguments for popUsed(), which is a burst of one. */
  private readonly oneHead = new Uint16Array(1);
  private readonly oneLength = new Uint32Array(1);
  private readonly oneToken: (T | undefined)[] = [undefined];

  constructor(
    readonly num: number,
    readonly rings: { desc: DmaSpan; avail: DmaSpan; used: DmaSpan },
    readonly eventIdx: boolean,
    /** Where the device runs: 'shared' (another thread, the kernel, hardware) or 'same-thread' (ring-words.ts). */
    ordering: RingOrdering = 'shared',
    /**
     * The index both rings start at: 0 for a new queue. A device told another with
     * VHOST_SET_VRING_BASE (SplitQueueDevice's `base`) resumes there, and so must the driver.
     */
    base = 0,
  ) {
    if (num <= 0 || num > VIRTQUEUE_MAX_SIZE || (num & (num - 1)) !== 0) throw new RangeError(`ring size ${num} is not a power of two up to ${VIRTQUEUE_MAX_SIZE}`);
    if (!(Number.isInteger(base) && base >= 0 && base <= INDEX_MASK)) throw new RangeError(`ring base ${base} is not a 16-bit index`);
    // A span short of its part would fail later, at some add, as a DataView's bounds error.
    const sizes = splitSizes(num);
    for (const part of ['desc', 'avail', 'used'] as const) {
      if (rings[part].bytes.length < sizes[part]) throw new RangeError(`the ${part} span holds ${rings[part].bytes.length} bytes; a ring of ${num} needs ${sizes[part]}`);
    }
    // A ring starts zeroed, as Linux's vring_create_virtqueue_split clears it: memory that held
    // a ring before (a queue set up again after a device reset) still holds its used index, and
    // this driver would read the old entries as the device's answers to chains it adds now.
    for (const part of ['desc', 'avail', 'used'] as const) rings[part].bytes.fill(0, 0, sizes[part]);
    this.slotMask = num - 1;
    this.desc = view(rings.desc.bytes);
    this.avail = view(rings.avail.bytes);
    this.used = view(rings.used.bytes);
    this.availWords = ringWords(rings.avail.bytes, ordering);
    this.usedWords = ringWords(rings.used.bytes, ordering);
    this.events = eventOffsets(num);
    this.availIdx = base;
    this.lastUsed = base;
    if (base !== 0) {
      // The rings as a queue resumed at `base` holds them: both indexes there, and each side
      // asking to hear of the next entry. vhost reads the used index from the ring when it
      // starts, and a zeroed avail_event would tell this driver not to kick until the index came
      // round to 0 again.
      this.avail.setUint16(AVAIL_IDX, base, true);
      this.avail.setUint16(this.events.usedEvent, base, true);
      this.used.setUint16(USED_IDX, base, true);
      this.used.setUint16(this.events.availEvent, base, true);
    }
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
    const at = i * DESC_SIZE;
    // The address as two 32-bit words: a BigInt store is a runtime call in the engine, and this
    // is the driver's hottest line. Below 4 GiB the high word is 0 without a division.
    const iova = b.iova;
    const addr = typeof iova === 'number' ? iova : Number(iova);
    if (addr >>> 0 === addr) {
      table.setUint32(at + DESC_ADDR, addr, true);
      table.setUint32(at + DESC_ADDR_HIGH, 0, true);
    } else this.writeWideAddress(table, at, iova);
    table.setUint32(at + DESC_LEN, b.length, true);
    table.setUint16(at + DESC_FLAGS, flags, true);
    table.setUint16(at + DESC_NEXT, next, true);
  }

  /** The cold path: an address of 4 GiB or more, or one that is not an address at all. */
  private writeWideAddress(table: DataView, at: number, iova: Iova): void {
    if (typeof iova === 'bigint') {
      if (iova < 0n || iova >= ADDRESS_LIMIT) throw new RangeError(`IOVA 0x${iova.toString(16)} does not fit 64 bits`);
      table.setBigUint64(at + DESC_ADDR, iova, true);
      return;
    }
    if (!Number.isSafeInteger(iova) || iova < 0) throw new RangeError(`IOVA ${iova} is not a non-negative safe integer: pass it as a bigint`);
    const hi = Math.floor(iova / WORD);
    table.setUint32(at + DESC_ADDR, iova - hi * WORD, true);
    table.setUint32(at + DESC_ADDR_HIGH, hi, true);
  }

  /**
   * Adds a chain (readable buffers first, then writable ones) and makes it available, unpublished.
   * With `indirect`, the chain goes in that table (DMA memory of the caller's) and takes one ring slot.
   * A buffer whose IOVA is not an address, or whose length does not fit 32 bits, is refused
   * with a RangeError, and nothing is added.
   */
  add(readable: BufferRef[], writable: BufferRef[], token?: T, indirect?: DmaSpan): number {
    const nReadable = readable.length;
    const n = nReadable + writable.length;
    if (n === 0) throw emptyChain();
    // Virtio forbids it (2.7.5.3.1), an indirect chain too; direct, it could never be added.
    if (n > this.num) throw chainTooLong(n, this.num);
    const slots = indirect ? 1 : n;
    if (slots > this.numFree) throw queueFull(slots, this.numFree);
    const head = this.freeHead;
    let writableBytes = 0;
    for (let k = 0; k < nReadable; k++) descriptorLength(readable[k].length);
    for (let k = 0; k < writable.length; k++) writableBytes += descriptorLength(writable[k].length);
    if (indirect) this.fillIndirect(readable, writable, indirect, head);
    else {
      const desc = this.desc;
      let i = head;
      for (let k = 0; k < n; k++) {
        const isWrite = k >= nReadable;
        const last = k + 1 === n;
        const next = this.shadowNext[i];
        this.writeDesc(desc, i, isWrite ? writable[k - nReadable] : readable[k], (isWrite ? VRING_DESC_F_WRITE : 0) | (last ? 0 : VRING_DESC_F_NEXT), last ? 0 : next);
        i = next;
      }
      this.freeHead = i;
    }
    this.numFree -= slots;
    this.offer(head, slots, writableBytes, token);
    return head;
  }

  /**
   * Adds a one-buffer chain per buffer of `buffers` (the first `count`), readable or, with
   * `write`, writable, `tokens[k]` the token of the k-th: an RX refill, or TX frames of one
   * buffer each, in one call that keeps the ring's state in locals. Adds as many as there are
   * free descriptors for and returns how many, unpublished. A buffer whose IOVA is not an
   * address, or whose length does not fit 32 bits, ends the burst before it; when it is the
   * first, the call throws.
   *
   * The loop holds the whole path of a descriptor (writeDesc's and offer's lines again): when a
   * caller's loop inlines this method, helpers past the engine's inlining budget would be calls
   * again, one per descriptor, and the burst would run at half its rate.
   */
  addBurst(buffers: readonly BufferRef[], write: boolean, tokens?: readonly T[], count = buffers.length): number {
    if (!fitsBurst(count, buffers.length) || (tokens !== undefined && !fitsBurst(count, tokens.length))) throw badBurst(count, buffers.length, tokens?.length);
    const n = count < this.numFree ? count : this.numFree;
    const flags = write ? VRING_DESC_F_WRITE : 0;
    const desc = this.desc;
    const avail = this.avail;
    const slotMask = this.slotMask;
    let head = this.freeHead;
    let availIdx = this.availIdx;
    let k = 0;
    for (; k < n; k++) {
      const b = buffers[k];
      const length = b.length;
      if (length >>> 0 !== length) {
        if (k > 0) break;
        throw badLength(length);
      }
      const at = head * DESC_SIZE;
      const iova = b.iova;
      const addr = typeof iova === 'number' ? iova : Number(iova);
      if (addr >>> 0 === addr) {
        desc.setUint32(at + DESC_ADDR, addr, true);
        desc.setUint32(at + DESC_ADDR_HIGH, 0, true);
      } else {
        try {
          this.writeWideAddress(desc, at, iova);
        } catch (e) {
          if (k > 0) break;
          throw e;
        }
      }
      desc.setUint32(at + DESC_LEN, length, true);
      desc.setUint16(at + DESC_FLAGS, flags, true);
      desc.setUint16(at + DESC_NEXT, 0, true);
      this.chainLength[head] = 1;
      this.writable[head] = write ? length : 0;
      this.tokens[head] = tokens === undefined ? undefined : tokens[k];
      avail.setUint16(AVAIL_RING + AVAIL_ENTRY * (availIdx & slotMask), head, true);
      availIdx = (availIdx + 1) & INDEX_MASK;
      head = this.shadowNext[head];
    }
    this.freeHead = head;
    this.numFree -= k;
    this.availIdx = availIdx;
    this.addedSinceKickCheck += k;
    return k;
  }

  /** A chain from `head` of `slots` ring descriptors onto the available ring, with its bookkeeping. */
  private offer(head: number, slots: number, writableBytes: number, token: T | undefined): void {
    this.chainLength[head] = slots;
    this.writable[head] = writableBytes;
    this.tokens[head] = token;
    this.avail.setUint16(AVAIL_RING + AVAIL_ENTRY * (this.availIdx & this.slotMask), head, true);
    this.availIdx = (this.availIdx + 1) & INDEX_MASK;
    this.addedSinceKickCheck++;
  }

  /** The chain written into an indirect table, and one ring descriptor pointing at it. */
  private fillIndirect(readable: BufferRef[], writable: BufferRef[], indirect: DmaSpan, head: number): void {
    const n = readable.length + writable.length;
    if (indirect.bytes.length < n * DESC_SIZE) throw new RangeError(`an indirect table for ${n} buffers needs ${n * DESC_SIZE} bytes`);
    const table = view(indirect.bytes);
    for (let k = 0; k < n; k++) {
      const isWrite = k >= readable.length;
      const last = k + 1 === n;
      this.writeDesc(table, k, isWrite ? writable[k - readable.length] : readable[k], (isWrite ? VRING_DESC_F_WRITE : 0) | (last ? 0 : VRING_DESC_F_NEXT), last ? 0 : k + 1);
    }
    this.writeDesc(this.desc, head, { iova: indirect.iova, length: n * DESC_SIZE }, VRING_DESC_F_INDIRECT, 0);
    this.freeHead = this.shadowNext[head];
  }

  /** Makes every added chain visible to the device. */
  publish(): void {
    this.availWords.store(AVAIL_IDX, this.availIdx);
  }

  /**
   * Whether the device wants a kick for what was added since this was last asked. Under event
   * idx, past 65,535 chains the rule's 16-bit window has wrapped and cannot tell, so the answer
   * is yes, as Linux's driver kicks when 65,535 chains are added unkicked.
   */
  shouldKick(): boolean {
    const added = this.addedSinceKickCheck;
    this.addedSinceKickCheck = 0;
    if (added === 0) return false;
    if (!this.eventIdx) return (this.usedWords.load(USED_FLAGS) & VRING_USED_F_NO_NOTIFY) === 0;
    return added > INDEX_MASK || needEvent(this.usedWords.load(this.events.availEvent), this.availIdx, (this.availIdx - added) & INDEX_MASK);
  }

  /**
   * Asks for interrupts (or not): the flag without event idx, used_event with it. With event
   * idx, `after` delays the interrupt until that many used entries past the last collected are
   * there (1, the default: the next one), as Linux's virtqueue_enable_cb_delayed does; a driver
   * that waits for a whole batch is then interrupted once, not on its first entry.
   *
   * Turning them on answers whether `after` entries are waiting already, as the device's
   * setNotifications does for chains: entries the device pushed before it could see the request
   * brought no interrupt, and a driver that went to sleep without looking would wait for them.
   * With 'shared' ordering the request is stored before the used index is read (Atomics).
   */
  setInterrupts(enabled: boolean, after = 1): boolean {
    if (!(Number.isInteger(after) && after >= 1 && after <= this.num)) throw new RangeError(`an interrupt after ${after} used entries on a ring of ${this.num}`);
    if (this.eventIdx) {
      // Event idx has no flag to say "none": the device ignores NO_INTERRUPT, so used_event is
      // put where the used index does not reach, and popUsedBurst keeps it there.
      this.usedEventAhead = enabled ? 0 : EVENT_NOT_NOW;
      this.availWords.store(this.events.usedEvent, (this.lastUsed + (enabled ? after - 1 : EVENT_NOT_NOW)) & INDEX_MASK);
    } else this.availWords.store(AVAIL_FLAGS, enabled ? 0 : VRING_AVAIL_F_NO_INTERRUPT);
    return enabled && this.usedWaiting() >= after;
  }

  /** The next used chain, with the bytes the device wrote, or undefined when none (allocates the answer). */
  getUsed(): { head: number; length: number; token: T | undefined } | undefined {
    const head = this.popUsed();
    return head < 0 ? undefined : { head, length: this.usedLength, token: this.usedToken };
  }

  /**
   * Used entries the device has published that popUsed has not collected yet, read from the
   * used index as it stands (unchecked: popUsed is where a jump past the ring is refused).
   */
  usedWaiting(): number {
    return (this.usedWords.load(USED_IDX) - this.lastUsed) & INDEX_MASK;
  }

  /** Length and token of the chain popUsed() last returned. */
  usedLength = 0;
  usedToken: T | undefined;

  /** The head of the next used chain (its length and token in usedLength, usedToken), or -1: allocates nothing. */
  popUsed(): number {
    if (this.popUsedBurst(this.oneHead, this.oneLength, this.oneToken, 1) === 0) return NOT_IN_FLIGHT;
    this.usedLength = this.oneLength[0];
    this.usedToken = this.oneToken[0];
    this.oneToken[0] = undefined;
    return this.oneHead[0];
  }

  /**
   * Collects up to `max` used chains: heads to `heads`, the bytes the device wrote to `lengths`,
   * and, when given, tokens to `tokens`; returns how many. Allocates nothing. A used entry the
   * driver never made available, or one claiming more bytes than its chain could take, ends the
   * burst before it, and the call that starts at it throws a DriverRingError. As addBurst, it
   * holds the whole path of an entry, for the same reason.
   */
  popUsedBurst(heads: Uint16Array, lengths: Uint32Array, tokens?: (T | undefined)[], max = heads.length): number {
    const room = heads.length < lengths.length ? heads.length : lengths.length;
    if (!fitsBurst(max, room)) throw badBurstCount(max, room);
    const used = this.used;
    const num = this.num;
    let lastUsed = this.lastUsed;
    let freeHead = this.freeHead;
    let numFree = this.numFree;
    const pending = (this.usedWords.load(USED_IDX) - lastUsed) & INDEX_MASK;
    if (pending > num) throw usedFault('used-index-jump', pending, num);
    const wanted = pending < max ? pending : max;
    let got = 0;
    for (; got < wanted; got++) {
      const at = USED_RING + USED_ELEM * (lastUsed & this.slotMask);
      const head = used.getUint32(at + USED_ID, true);
      const length = used.getUint32(at + USED_LEN, true);
      const writable = head < num ? this.writable[head] : NOT_IN_FLIGHT;
      if (writable === NOT_IN_FLIGHT || length > writable) {
        if (got > 0) break;
        throw writable === NOT_IN_FLIGHT ? usedFault('used-id-not-in-flight', head, num) : usedFault('used-length-too-long', length, writable);
      }
      heads[got] = head;
      lengths[got] = length;
      if (tokens !== undefined) tokens[got] = this.tokens[head];
      // The chain's descriptors back onto the free list, followed by the old free list.
      const slots = this.chainLength[head];
      let tail = head;
      for (let k = 1; k < slots; k++) tail = this.shadowNext[tail];
      this.shadowNext[tail] = freeHead;
      freeHead = head;
      numFree += slots;
      this.chainLength[head] = 0;
      this.writable[head] = NOT_IN_FLIGHT;
      this.tokens[head] = undefined;
      lastUsed = (lastUsed + 1) & INDEX_MASK;
    }
    this.lastUsed = lastUsed;
    this.freeHead = freeHead;
    this.numFree = numFree;
    // The next entry, as Linux's virtqueue_get_buf asks; or still none, when interrupts are off.
    if (got > 0 && this.eventIdx) this.availWords.store(this.events.usedEvent, (lastUsed + this.usedEventAhead) & INDEX_MASK);
    return got;
  }
}
