// The device side of a split virtqueue. It pops available chains and pushes used entries,
// translating every address through the IOMMU, and it trusts nothing the driver wrote: every
// class of hostile ring below is caught, the queue is marked broken (as a virtio device sets
// NEEDS_RESET) and pop() answers nothing more. It never throws and never loops unbounded.
import { u32, u64 } from '../codegen-v1.js';
import * as ring from '../../generated/virtio_ring.js';
import { BITS_PER_BYTE, VIRTQUEUE_MAX_SIZE } from '../policy.js';
import { Chain } from './chain.js';
import { ALIGN, AVAIL, DESC, eventOffsets, INDEX_MASK as LAYOUT_INDEX_MASK, needEvent, splitSizes, USED } from './split-layout.js';

// The layout as module-local constants. In the engine's optimised code a field of an imported
// object costs, at every use, a load of the binding, a check of the object's shape and a load
// of the field; a module-local const is one load. Measured with npm run bench: about a fifth
// more descriptors per second.
const { size: DESC_SIZE, addr: DESC_ADDR, len: DESC_LEN, flags: DESC_FLAGS, next: DESC_NEXT } = DESC;
const { ring: AVAIL_RING, entry: AVAIL_ENTRY, idx: AVAIL_IDX, flags: AVAIL_FLAGS } = AVAIL;
const { ring: USED_RING, elem: USED_ELEM, idx: USED_IDX, id: USED_ID, len: USED_LEN } = USED;
const INDEX_MASK = LAYOUT_INDEX_MASK;
/** The high word of a descriptor's address. */
const DESC_ADDR_HIGH = DESC_ADDR + u32.size;
const { VRING_AVAIL_F_NO_INTERRUPT, VRING_DESC_F_INDIRECT, VRING_DESC_F_NEXT, VRING_DESC_F_WRITE } = ring;

export type RingFault =
  | 'ring-not-ready'
  | 'avail-index-jump'
  | 'too-many-in-flight'
  | 'head-out-of-range'
  | 'next-out-of-range'
  | 'chain-loop'
  | 'indirect-bad-length'
  | 'indirect-nested'
  | 'indirect-with-next'
  | 'readable-after-writable'
  | 'address-overflow'
  | 'unmapped'
  | 'chain-too-big'
  | 'bad-push';

export class RingError extends Error {
  override name = 'RingError';
  constructor(
    readonly fault: RingFault,
    message: string,
  ) {
    super(`virtqueue broken: ${message}`);
  }
}

/**
 * Messages of the faults the hot paths find, from the numbers they pass (`b` defaults to the
 * ring size). The cold paths (setup, indirect tables, addresses) write theirs in place.
 */
const FAULT_MESSAGES = {
  'avail-index-jump': (moved: number, num: number) => `avail index moved by ${moved} on a ring of ${num}`,
  'too-many-in-flight': (inFlight: number, num: number) => `${inFlight} chains in flight on a ring of ${num}`,
  'head-out-of-range': (head: number, num: number) => `head ${head} on a ring of ${num}`,
  'next-out-of-range': (i: number, num: number) => `descriptor ${i} of a ring of ${num}`,
  'chain-loop': (head: number, num: number) => `chain from head ${head} is longer than its table of ${num}`,
  'readable-after-writable': (head: number) => `a readable buffer after a writable one (head ${head})`,
  'chain-too-big': (head: number) => `chain from head ${head} holds 4 GiB or more`,
  'bad-push': (head: number, inFlight: number) => `push of head ${head} with ${inFlight} in flight`,
} satisfies Partial<Record<RingFault, (a: number, b: number) => string>>;

/**
 * The memory DMA reaches, and IOVA to an offset in it. IOVAs are safe integers here (below
 * 2^53, far above any IOMMU's input width); translate throws when the range is not mapped
 * with that access.
 */
export interface DmaView {
  memory: Uint8Array;
  translate(iova: number, length: number, write: boolean): number;
}

export { Chain };

const ADDRESS_LIMIT = 1n << BigInt(u64.size * BITS_PER_BYTE);
/** A descriptor address is read as two 32-bit words, so no BigInt is made per descriptor. */
const WORD = Number(1n << BigInt(u32.size * BITS_PER_BYTE));
const CHAIN_LIMIT = Number(1n << BigInt(u32.size * BITS_PER_BYTE));

const isPowerOfTwo = (n: number) => n > 0 && (n & (n - 1)) === 0;
const INDIRECT_TABLE = -1;
const label = (index: number) => (index === INDIRECT_TABLE ? 'indirect table' : `descriptor ${index}`);

export class SplitQueueDevice {
  broken: RingError | undefined;
  private lastAvail = 0;
  private usedIdx = 0;
  private signalledAt = 0;
  private inFlight = 0;
  /** One view over all of the DMA memory; the rings and tables are offsets in it. */
  private readonly mem: DataView;
  private desc = 0;
  private avail = 0;
  private used = 0;
  private readonly events: { usedEvent: number; availEvent: number };
  private readonly chains: (Chain | undefined)[];
  /** index mod num, as a mask: num is a power of two, and a division costs more than the rest of a pop. */
  private readonly slotMask: number;

  constructor(
    readonly num: number,
    addrs: { desc: bigint; avail: bigint; used: bigint },
    private readonly dma: DmaView,
    readonly eventIdx: boolean,
    /** Where the driver's avail index starts (SET_VRING_BASE). */
    base = 0,
  ) {
    this.events = eventOffsets(num);
    this.slotMask = num - 1;
    this.mem = new DataView(dma.memory.buffer, dma.memory.byteOffset, dma.memory.byteLength);
    this.chains = new Array(isPowerOfTwo(num) ? num : 0).fill(undefined);
    this.lastAvail = base & INDEX_MASK;
    this.usedIdx = base & INDEX_MASK;
    this.signalledAt = this.usedIdx;
    if (!isPowerOfTwo(num) || num > VIRTQUEUE_MAX_SIZE) {
      this.failWith('ring-not-ready', `ring size ${num} is not a power of two up to ${VIRTQUEUE_MAX_SIZE}`);
      return;
    }
    if (addrs.desc % BigInt(ALIGN.desc) || addrs.avail % BigInt(ALIGN.avail) || addrs.used % BigInt(ALIGN.used)) {
      this.failWith('ring-not-ready', 'ring addresses are not aligned as virtio requires');
      return;
    }
    const sizes = splitSizes(num);
    try {
      this.desc = dma.translate(Number(addrs.desc), sizes.desc, false);
      this.avail = dma.translate(Number(addrs.avail), sizes.avail, false);
      this.used = dma.translate(Number(addrs.used), sizes.used, true);
    } catch (e) {
      this.failWith('ring-not-ready', `the rings are not mapped: ${(e as Error).message}`);
    }
  }

  /**
   * Breaks the queue with the fault's message, built from `a` and `b` only now: the hot paths
   * pass numbers, so neither a string per descriptor nor a template's code sits in them.
   */
  private fail(fault: keyof typeof FAULT_MESSAGES, a: number, b = this.num): undefined {
    return this.failWith(fault, FAULT_MESSAGES[fault](a, b));
  }

  private failWith(fault: RingFault, message: string): undefined {
    this.broken ??= new RingError(fault, message);
    return undefined;
  }

  /** The next available chain, or undefined when there is none or the queue is broken. */
  pop(): Chain | undefined {
    if (this.broken) return undefined;
    const availIdx = this.mem.getUint16(this.avail + AVAIL_IDX, true);
    const pending = (availIdx - this.lastAvail) & INDEX_MASK;
    if (pending === 0) return undefined;
    if (pending > this.num) return this.fail('avail-index-jump', pending);
    // More chains in flight than the ring holds means the driver re-used heads (CVE-2016-5403).
    if (this.inFlight >= this.num) return this.fail('too-many-in-flight', this.inFlight);
    const head = this.mem.getUint16(this.avail + AVAIL_RING + AVAIL_ENTRY * (this.lastAvail & this.slotMask), true);
    if (head >= this.num) return this.fail('head-out-of-range', head);
    const chain = this.walk(head);
    if (!chain) return undefined;
    this.lastAvail = (this.lastAvail + 1) & INDEX_MASK;
    this.inFlight++;
    if (this.eventIdx) this.mem.setUint16(this.used + this.events.availEvent, this.lastAvail, true);
    return chain;
  }

  /**
   * The offset in DMA memory of the buffer the descriptor at `at` names, or undefined (and the
   * queue broken) when it is bad. `index` names the descriptor in a message (-1 for an indirect
   * table). Messages are built only on failure: a string made per descriptor would be garbage
   * per descriptor.
   */
  private map(at: number, len: number, write: boolean, index: number): number | undefined {
    // Below 4 GiB the address is the low word alone: a small integer the engine does not box.
    const hi = this.mem.getUint32(at + DESC_ADDR_HIGH, true);
    const lo = this.mem.getUint32(at + DESC_ADDR, true);
    const addr = hi === 0 ? lo : hi * WORD + lo;
    if (!Number.isSafeInteger(addr + len)) return this.unsafeAddress(at + DESC_ADDR, len, label(index));
    try {
      return this.dma.translate(addr, len, write);
    } catch (e) {
      return this.failWith('unmapped', `${label(index)}: ${(e as Error).message}`);
    }
  }

  /** The cold path for an address beyond 2^53: exact arithmetic tells a wrap from plain unmapped. */
  private unsafeAddress(addrAt: number, len: number, what: string): undefined {
    const addr = this.mem.getBigUint64(addrAt, true);
    if (addr + BigInt(len) > ADDRESS_LIMIT) return this.failWith('address-overflow', `${what}: 0x${addr.toString(16)} + ${len} wraps`);
    return this.failWith('unmapped', `${what}: 0x${addr.toString(16)} is beyond any mapping`);
  }

  /** The chain from `head` in the ring's table; an indirect descriptor hands over to walkIndirect. */
  private walk(head: number): Chain | undefined {
    const chain = (this.chains[head] ??= new Chain(this.dma.memory)).reset(head);
    const mem = this.mem;
    const size = this.num;
    let count = 0;
    for (let i = head; ; ) {
      if (i >= size) return this.fail('next-out-of-range', i);
      if (++count > size) return this.fail('chain-loop', head);
      const at = this.desc + i * DESC_SIZE;
      const flags = mem.getUint16(at + DESC_FLAGS, true);
      if (flags & VRING_DESC_F_INDIRECT) return this.walkIndirect(chain, at, flags);
      if (!this.take(chain, at, flags, i)) return undefined;
      if (!(flags & VRING_DESC_F_NEXT)) return chain;
      i = mem.getUint16(at + DESC_NEXT, true);
    }
  }

  /** The rest of a chain in the indirect table the descriptor at `at` points to: the cold path. */
  private walkIndirect(chain: Chain, at: number, flags: number): Chain | undefined {
    const head = chain.head;
    if (flags & VRING_DESC_F_NEXT) return this.failWith('indirect-with-next', `INDIRECT together with NEXT (head ${head})`);
    const len = this.mem.getUint32(at + DESC_LEN, true);
    if (len === 0 || len % DESC_SIZE !== 0 || len / DESC_SIZE > VIRTQUEUE_MAX_SIZE) return this.failWith('indirect-bad-length', `indirect table of ${len} bytes`);
    const table = this.map(at, len, false, INDIRECT_TABLE);
    if (table === undefined) return undefined;
    const size = len / DESC_SIZE;
    let count = 0;
    for (let i = 0; ; ) {
      if (i >= size) return this.failWith('next-out-of-range', `descriptor ${i} of an indirect table of ${size}`);
      if (++count > size) return this.failWith('chain-loop', `chain from head ${head} is longer than its indirect table of ${size}`);
      const d = table + i * DESC_SIZE;
      const f = this.mem.getUint16(d + DESC_FLAGS, true);
      if (f & VRING_DESC_F_INDIRECT) return this.failWith('indirect-nested', `indirect descriptor inside an indirect table (head ${head})`);
      if (!this.take(chain, d, f, i)) return undefined;
      if (!(f & VRING_DESC_F_NEXT)) return chain;
      i = this.mem.getUint16(d + DESC_NEXT, true);
    }
  }

  /** The buffer of the descriptor at `at` onto the chain; false (the queue broken) when it is bad. */
  private take(chain: Chain, at: number, flags: number, index: number): boolean {
    const write = (flags & VRING_DESC_F_WRITE) !== 0;
    if (!write && chain.count > chain.writableFrom) {
      this.fail('readable-after-writable', chain.head);
      return false;
    }
    const len = this.mem.getUint32(at + DESC_LEN, true);
    const offset = this.map(at, len, write, index);
    if (offset === undefined) return false;
    chain.add(offset, len, write);
    if (chain.readableLength + chain.writableLength >= CHAIN_LIMIT) {
      this.fail('chain-too-big', chain.head);
      return false;
    }
    return true;
  }

  /** Returns a chain as used, with how many bytes the device wrote into it. */
  push(head: number, written: number): void {
    if (this.broken) return;
    if (this.inFlight === 0 || head >= this.num) {
      this.fail('bad-push', head, this.inFlight);
      return;
    }
    const at = this.used + USED_RING + USED_ELEM * (this.usedIdx & this.slotMask);
    this.mem.setUint32(at + USED_ID, head, true);
    this.mem.setUint32(at + USED_LEN, written, true);
    this.usedIdx = (this.usedIdx + 1) & INDEX_MASK;
    this.mem.setUint16(this.used + USED_IDX, this.usedIdx, true);
    this.inFlight--;
  }

  /** Whether the driver wants an interrupt for what was pushed since the last one (event idx or flags). */
  needInterrupt(): boolean {
    if (this.broken) return false;
    const old = this.signalledAt;
    this.signalledAt = this.usedIdx;
    if (old === this.usedIdx) return false;
    if (this.eventIdx) return needEvent(this.mem.getUint16(this.avail + this.events.usedEvent, true), this.usedIdx, old);
    return (this.mem.getUint16(this.avail + AVAIL_FLAGS, true) & VRING_AVAIL_F_NO_INTERRUPT) === 0;
  }

  /** The driver's next avail index as the device has consumed it (GET_VRING_BASE). */
  get base(): number {
    return this.lastAvail;
  }
}
