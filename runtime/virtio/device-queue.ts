// The device side of a split virtqueue. It pops available chains and pushes used entries,
// translating every address through the IOMMU, and it trusts nothing the driver wrote: every
// class of hostile ring below is caught, the queue is marked broken (as a virtio device sets
// NEEDS_RESET) and pop() answers nothing more. It never throws and never loops unbounded.
import { u32, u64 } from '../codegen-v1.js';
import * as ring from '../../generated/virtio_ring.js';
import { BITS_PER_BYTE, VIRTQUEUE_MAX_SIZE } from '../policy.js';
import { badBurstCount, fitsBurst } from './burst-count.js';
import { Chain } from './chain.js';
import { ringWords, type RingOrdering, type RingWords } from './ring-words.js';
import { ALIGN, AVAIL, DESC, EVENT_NOT_NOW, eventOffsets, INDEX_MASK as LAYOUT_INDEX_MASK, needEvent, splitSizes, USED } from './split-layout.js';

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

export type RingFault =
  | 'ring-not-ready'
  | 'avail-index-jump'
  | 'too-many-in-flight'
  | 'head-out-of-range'
  | 'head-in-flight'
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
  'head-in-flight': (head: number) => `head ${head} offered again before the device used it`,
  'next-out-of-range': (i: number, size: number, indirect: boolean) => `descriptor ${i} of ${indirect ? 'an indirect table' : 'a ring'} of ${size}`,
  'chain-loop': (head: number, size: number, indirect: boolean) => `chain from head ${head} is longer than its ${indirect ? 'indirect ' : ''}table of ${size}`,
  'readable-after-writable': (head: number) => `a readable buffer after a writable one (head ${head})`,
  'chain-too-big': (head: number) => `chain from head ${head} holds 4 GiB or more`,
  'bad-push': (head: number, inFlight: number) => `push of head ${head}, which is not in flight (${inFlight} chains are)`,
} satisfies Partial<Record<RingFault, (a: number, b: number, indirect: boolean) => string>>;

/**
 * The memory DMA reaches, and IOVA to an offset in it. IOVAs are safe integers here (below
 * 2^53, far above any IOMMU's input width); translate throws when the range is not mapped
 * with that access.
 */
export interface DmaView {
  memory: Uint8Array;
  translate(iova: number, length: number, write: boolean): number;
  /**
   * Bytes from `iova` on that one mapping covers with that access (0 when none): given by an
   * IOMMU whose mappings may meet, one ending where the next begins, so a buffer across the
   * meeting is taken a mapping at a time, as vhost and QEMU take it. Without it a buffer must
   * lie in one mapping.
   */
  mapped?(iova: number, write: boolean): number;
}

export { Chain };

const ADDRESS_LIMIT = 1n << BigInt(u64.size * BITS_PER_BYTE);
/** A descriptor address is read as two 32-bit words, so no BigInt is made per descriptor. */
const WORD = Number(1n << BigInt(u32.size * BITS_PER_BYTE));
const CHAIN_LIMIT = Number(1n << BigInt(u32.size * BITS_PER_BYTE));

const isPowerOfTwo = (n: number) => n > 0 && (n & (n - 1)) === 0;
const INDIRECT_TABLE = -1;
const neverPopped = (head: number) => new RangeError(`no chain was ever popped with head ${head}`);
const label = (index: number) => (index === INDIRECT_TABLE ? 'indirect table' : `descriptor ${index}`);

export class SplitQueueDevice {
  broken: RingError | undefined;
  private lastAvail = 0;
  private usedIdx = 0;
  /**
   * Entries pushed since needInterrupt last answered: the count, not the index it started from,
   * which 65,536 entries later is the same (the rule's 16-bit window wraps).
   */
  private pushedSinceInterruptCheck = 0;
  private inFlight = 0;
  /**
   * What setNotifications last asked, as avail_event's distance past lastAvail under event idx:
   * 0 for a kick at the next chain, EVENT_NOT_NOW for none. popBurst moves avail_event on by it.
   */
  private availEventAhead = 0;
  /** One view over all of the DMA memory; the rings and tables are offsets in it. */
  private readonly mem: DataView;
  /** The same memory's 16-bit words, for the ones the driver reads and writes too (through Atomics). */
  private readonly words: RingWords;
  private desc = 0;
  private avail = 0;
  private used = 0;
  private readonly events: { usedEvent: number; availEvent: number };
  private readonly chains: (Chain | undefined)[];
  /**
   * Per head, 1 from its pop to its push. A head is the key of its pooled chain: one the driver
   * offers again while the device holds it would have that chain walked anew under the device
   * still reading it, and pushed twice.
   */
  private readonly held: Uint8Array;
  /** index mod num, as a mask: num is a power of two, and a division costs more than the rest of a pop. */
  private readonly slotMask: number;
  /** The bursts' arguments for pop() and push(), which are bursts of one. */
  private readonly one = new Uint16Array(1);
  private readonly oneWritten = new Uint32Array(1);

  constructor(
    readonly num: number,
    addrs: { desc: bigint; avail: bigint; used: bigint },
    private readonly dma: DmaView,
    readonly eventIdx: boolean,
    /**
     * The avail index to take the next chain at (SET_VRING_BASE). The used index is not given:
     * it is read from the ring, as vhost reads it when a backend starts, so a device that
     * replaces one stopped with chains in flight pushes where the driver looks next, not past
     * entries never written.
     */
    base = 0,
    /** Where the driver runs: 'shared' (another thread, or anywhere) or 'same-thread' (ring-words.ts). */
    ordering: RingOrdering = 'shared',
  ) {
    this.events = eventOffsets(num);
    this.slotMask = num - 1;
    this.mem = new DataView(dma.memory.buffer, dma.memory.byteOffset, dma.memory.byteLength);
    this.words = ringWords(dma.memory, ordering);
    this.chains = new Array(isPowerOfTwo(num) ? num : 0).fill(undefined);
    this.held = new Uint8Array(isPowerOfTwo(num) ? num : 0);
    this.lastAvail = base & INDEX_MASK;
    if (!isPowerOfTwo(num) || num > VIRTQUEUE_MAX_SIZE) {
      this.failWith('ring-not-ready', `ring size ${num} is not a power of two up to ${VIRTQUEUE_MAX_SIZE}`);
      return;
    }
    if (addrs.desc % BigInt(ALIGN.desc) || addrs.avail % BigInt(ALIGN.avail) || addrs.used % BigInt(ALIGN.used)) {
      this.failWith('ring-not-ready', 'ring addresses are not aligned as virtio requires');
      return;
    }
    const sizes = splitSizes(num);
    const desc = this.mapRing('desc', addrs.desc, sizes.desc, false);
    const avail = desc === undefined ? undefined : this.mapRing('avail', addrs.avail, sizes.avail, false);
    const used = avail === undefined ? undefined : this.mapRing('used', addrs.used, sizes.used, true);
    if (desc === undefined || avail === undefined || used === undefined) return;
    this.desc = desc;
    this.avail = avail;
    this.used = used;
    // The shared words are read as 16-bit words: an IOMMU that moved an aligned ring to an odd
    // byte of the memory would have them read from the wrong place.
    if (this.avail % ALIGN.avail || this.used % ALIGN.used) {
      this.failWith('ring-not-ready', `the rings translate to offsets ${this.avail} and ${this.used}, not aligned in DMA memory`);
      return;
    }
    this.usedIdx = this.words.load(this.used + USED_IDX);
  }

  /**
   * The offset of one part of the ring, or undefined (the queue not ready) when it is not all in
   * one mapping. The rings are read in place, not in pieces: a ring across two mappings that meet
   * is refused, as QEMU refuses a ring it cannot map whole, and the message says so.
   */
  private mapRing(part: 'desc' | 'avail' | 'used', iova: bigint, size: number, write: boolean): number | undefined {
    try {
      return this.dma.translate(Number(iova), size, write);
    } catch (e) {
      const covered = this.dma.mapped?.(Number(iova), write) ?? 0;
      const across = covered > 0 && covered < size ? `; one mapping covers ${covered} of its ${size} bytes, and a ring must lie in one` : '';
      return this.failWith('ring-not-ready', `the ${part} ring at 0x${iova.toString(16)} is not mapped: ${(e as Error).message}${across}`);
    }
  }

  /**
   * Breaks the queue with the fault's message, built from `a` and `b` only now: the hot paths
   * pass numbers, so neither a string per descriptor nor a template's code sits in them.
   */
  private fail(fault: keyof typeof FAULT_MESSAGES, a: number, b = this.num, indirect = false): undefined {
    return this.failWith(fault, FAULT_MESSAGES[fault](a, b, indirect));
  }

  private failWith(fault: RingFault, message: string): undefined {
    this.broken ??= new RingError(fault, message);
    return undefined;
  }

  /** The next available chain, or undefined when there is none or the queue is broken: popBurst of one. */
  pop(): Chain | undefined {
    return this.popBurst(this.one, 1) === 0 ? undefined : this.chains[this.one[0]];
  }

  /** The chain popBurst last gave with this head: pooled, so it is valid until that head is pushed. */
  chainOf(head: number): Chain {
    const chain = this.chains[head];
    if (chain === undefined) throw neverPopped(head);
    return chain;
  }

  /**
   * Pops up to `max` available chains and writes their heads to `heads` (chainOf gives each
   * chain); returns how many. A hostile entry breaks the queue and ends the burst; the chains
   * before it stand. The whole walk is this one loop, for the direct table and an indirect one
   * alike (as ring.c's walk is), with the ring's state in locals for the burst: split into
   * methods, it was more code than the engine inlines into a caller's loop, and every call
   * left to run reloaded that state.
   */
  popBurst(heads: Uint16Array, max = heads.length): number {
    if (!fitsBurst(max, heads.length)) throw badBurstCount(max, heads.length);
    if (this.broken) return 0;
    const mem = this.mem;
    const num = this.num;
    const avail = this.avail;
    const held = this.held;
    let lastAvail = this.lastAvail;
    let inFlight = this.inFlight;
    const pending = (this.words.load(avail + AVAIL_IDX) - lastAvail) & INDEX_MASK;
    if (pending > num) {
      this.fail('avail-index-jump', pending);
      return 0;
    }
    const wanted = pending < max ? pending : max;
    let got = 0;
    chains: while (got < wanted) {
      // More chains in flight than the ring holds means the driver re-used heads (CVE-2016-5403).
      if (inFlight >= num) {
        this.fail('too-many-in-flight', inFlight);
        break;
      }
      const head = mem.getUint16(avail + AVAIL_RING + AVAIL_ENTRY * (lastAvail & this.slotMask), true);
      if (head >= num) {
        this.fail('head-out-of-range', head);
        break;
      }
      if (held[head] !== 0) {
        this.fail('head-in-flight', head);
        break;
      }
      const chain = (this.chains[head] ??= new Chain(this.dma.memory)).reset(head);
      let table = this.desc;
      let size = num;
      let indirect = false;
      let steps = 0;
      for (let i = head; ; ) {
        if (i >= size) {
          this.fail('next-out-of-range', i, size, indirect);
          break chains;
        }
        if (++steps > size) {
          this.fail('chain-loop', head, size, indirect);
          break chains;
        }
        const at = table + i * DESC_SIZE;
        const flags = mem.getUint16(at + DESC_FLAGS, true);
        if (flags & VRING_DESC_F_INDIRECT) {
          // The length is read once: checked, then used (the driver may rewrite it meanwhile).
          const tableLength = mem.getUint32(at + DESC_LEN, true);
          const indirectTable = this.indirectTable(at, flags, tableLength, head, indirect);
          if (indirectTable === undefined) break chains;
          table = indirectTable;
          size = tableLength / DESC_SIZE;
          indirect = true;
          steps = 0;
          i = 0;
          continue;
        }
        const write = (flags & VRING_DESC_F_WRITE) !== 0;
        if (!write && chain.count > chain.writableFrom) {
          this.fail('readable-after-writable', head);
          break chains;
        }
        const len = mem.getUint32(at + DESC_LEN, true);
        if (!this.addBuffer(chain, at, len, write, i)) break chains;
        if (chain.readableLength + chain.writableLength >= CHAIN_LIMIT) {
          this.fail('chain-too-big', head);
          break chains;
        }
        if (!(flags & VRING_DESC_F_NEXT)) break;
        i = mem.getUint16(at + DESC_NEXT, true);
      }
      held[head] = 1;
      heads[got++] = head;
      lastAvail = (lastAvail + 1) & INDEX_MASK;
      inFlight++;
    }
    this.lastAvail = lastAvail;
    this.inFlight = inFlight;
    if (got > 0 && this.eventIdx) this.words.store(this.used + this.events.availEvent, (lastAvail + this.availEventAhead) & INDEX_MASK);
    return got;
  }

  /**
   * The offset of the indirect table the descriptor at `at` points to, or undefined (and the
   * queue broken) when the descriptor is bad: the cold path of popBurst's walk.
   */
  private indirectTable(at: number, flags: number, len: number, head: number, nested: boolean): number | undefined {
    if (nested) return this.failWith('indirect-nested', `indirect descriptor inside an indirect table (head ${head})`);
    if (flags & VRING_DESC_F_NEXT) return this.failWith('indirect-with-next', `INDIRECT together with NEXT (head ${head})`);
    if (len === 0 || len % DESC_SIZE !== 0 || len / DESC_SIZE > VIRTQUEUE_MAX_SIZE) return this.failWith('indirect-bad-length', `indirect table of ${len} bytes`);
    return this.mapTable(at, len);
  }

  /** The address of the descriptor at `at`; below 4 GiB the low word alone, a small integer the engine does not box. */
  private address(at: number): number {
    const hi = this.mem.getUint32(at + DESC_ADDR_HIGH, true);
    const lo = this.mem.getUint32(at + DESC_ADDR, true);
    return hi === 0 ? lo : hi * WORD + lo;
  }

  /**
   * The offset in DMA memory of the table the indirect descriptor at `at` names, or undefined
   * (and the queue broken) when it is not all in one mapping: a table across mappings is
   * refused, as QEMU refuses one it cannot map whole. Messages are built only on failure.
   */
  private mapTable(at: number, len: number): number | undefined {
    const addr = this.address(at);
    if (!Number.isSafeInteger(addr + len)) return this.unsafeAddress(at + DESC_ADDR, len, label(INDIRECT_TABLE));
    try {
      return this.dma.translate(addr, len, false);
    } catch (e) {
      return this.failWith('unmapped', `${label(INDIRECT_TABLE)}: ${(e as Error).message}`);
    }
  }

  /**
   * Adds the buffer the descriptor at `at` names to `chain`; false (and the queue broken) when it
   * is bad. `index` names the descriptor in a message. A string made per descriptor would be
   * garbage per descriptor, so messages are built only on failure.
   */
  private addBuffer(chain: Chain, at: number, len: number, write: boolean, index: number): boolean {
    const addr = this.address(at);
    if (!Number.isSafeInteger(addr + len)) {
      this.unsafeAddress(at + DESC_ADDR, len, label(index));
      return false;
    }
    let offset: number;
    try {
      offset = this.dma.translate(addr, len, write);
    } catch (e) {
      return this.addPieces(chain, addr, len, write, index, e as Error);
    }
    chain.add(offset, len, write);
    return true;
  }

  /**
   * The cold path of a buffer no one mapping covers. Where the IOMMU's mappings meet, the buffer
   * goes into the chain a mapping at a time, each piece a buffer of its own, as vhost and QEMU
   * split one into iovecs. A gap, a mapping without the access, or a chain in more pieces than a
   * ring may have descriptors (vhost and QEMU bound theirs too) breaks the queue.
   */
  private addPieces(chain: Chain, addr: number, len: number, write: boolean, index: number, refused: Error): boolean {
    const dma = this.dma;
    if (dma.mapped === undefined || len === 0) {
      this.failWith('unmapped', `${label(index)}: ${refused.message}`);
      return false;
    }
    for (let iova = addr, left = len; left > 0; ) {
      const n = Math.min(left, dma.mapped(iova, write));
      if (!(n > 0)) {
        this.failWith('unmapped', `${label(index)}: 0x${addr.toString(16)}+${len}, whose bytes from 0x${iova.toString(16)} on no mapping covers${write ? ' for writing' : ''}`);
        return false;
      }
      if (chain.count >= VIRTQUEUE_MAX_SIZE) {
        this.failWith('chain-too-big', `chain from head ${chain.head} is in more than ${VIRTQUEUE_MAX_SIZE} pieces of mapped memory`);
        return false;
      }
      let offset: number;
      try {
        offset = dma.translate(iova, n, write);
      } catch (e) {
        this.failWith('unmapped', `${label(index)}: ${(e as Error).message}`);
        return false;
      }
      chain.add(offset, n, write);
      iova += n;
      left -= n;
    }
    return true;
  }

  /** The cold path for an address beyond 2^53: exact arithmetic tells a wrap from plain unmapped. */
  private unsafeAddress(addrAt: number, len: number, what: string): undefined {
    const addr = this.mem.getBigUint64(addrAt, true);
    if (addr + BigInt(len) > ADDRESS_LIMIT) return this.failWith('address-overflow', `${what}: 0x${addr.toString(16)} + ${len} wraps`);
    return this.failWith('unmapped', `${what}: 0x${addr.toString(16)} is beyond any mapping`);
  }

  /** Returns a chain as used, with how many bytes the device wrote into it: pushBurst of one. */
  push(head: number, written: number): void {
    // The typed arrays below would keep the low bits of anything else without a word: head
    // 65539 as 3, -1 bytes as 2^32-1. A head is a 16-bit word, as the ring's indexes are.
    if ((head & INDEX_MASK) !== head || written >>> 0 !== written) throw new RangeError(`push of head ${head} with ${written} bytes written: a 16-bit head and a 32-bit count`);
    this.one[0] = head;
    this.oneWritten[0] = written;
    this.pushBurst(this.one, this.oneWritten, 1);
  }

  /**
   * Returns `count` chains as used, `heads[k]` with `written[k]` bytes written into it, and
   * publishes the used index once for all of them. A head not in flight breaks the queue and
   * ends the burst; the entries before it stand. Returns how many were pushed.
   */
  pushBurst(heads: Uint16Array, written: Uint32Array, count = heads.length): number {
    const room = heads.length < written.length ? heads.length : written.length;
    if (!fitsBurst(count, room)) throw badBurstCount(count, room);
    if (this.broken) return 0;
    const mem = this.mem;
    const used = this.used;
    const held = this.held;
    let usedIdx = this.usedIdx;
    let inFlight = this.inFlight;
    let k = 0;
    for (; k < count; k++) {
      const head = heads[k];
      // The range first: past the array, held[head] reads undefined, which is not 0.
      if (head >= this.num || held[head] === 0) {
        this.fail('bad-push', head, inFlight);
        break;
      }
      held[head] = 0;
      const at = used + USED_RING + USED_ELEM * (usedIdx & this.slotMask);
      mem.setUint32(at + USED_ID, head, true);
      mem.setUint32(at + USED_LEN, written[k], true);
      usedIdx = (usedIdx + 1) & INDEX_MASK;
      inFlight--;
    }
    this.usedIdx = usedIdx;
    this.inFlight = inFlight;
    this.pushedSinceInterruptCheck += k;
    if (k > 0) this.words.store(used + USED_IDX, usedIdx);
    return k;
  }

  /**
   * Asks the driver to kick, or not to, when it makes chains available: VRING_USED_F_NO_NOTIFY
   * without event idx; with it, avail_event, which "not" puts where the avail index does not reach.
   * A device that polls the ring turns kicks off while it polls, and on before it sleeps, as
   * vhost does. Turning them on answers whether chains are waiting already: one made available
   * while they were off had no kick, and a device that slept without looking would miss it.
   * With 'shared' ordering the request is stored before the avail index is read (Atomics), the
   * barrier the driver's side of the handshake (publish, then read the request) pairs with.
   */
  setNotifications(enabled: boolean): boolean {
    if (this.broken) return false;
    if (this.eventIdx) {
      this.availEventAhead = enabled ? 0 : EVENT_NOT_NOW;
      this.words.store(this.used + this.events.availEvent, (this.lastAvail + this.availEventAhead) & INDEX_MASK);
    } else this.words.store(this.used + USED_FLAGS, enabled ? 0 : VRING_USED_F_NO_NOTIFY);
    return enabled && this.availWaiting() > 0;
  }

  /**
   * Chains the driver has made available that popBurst has not taken yet, from the avail index
   * as it stands (unchecked: popBurst is where a jump past the ring breaks the queue).
   */
  availWaiting(): number {
    if (this.broken) return 0;
    return (this.words.load(this.avail + AVAIL_IDX) - this.lastAvail) & INDEX_MASK;
  }

  /**
   * Whether the driver wants an interrupt for what was pushed since this was last asked (event
   * idx or flags). Under event idx, past 65,535 entries the rule's 16-bit window has wrapped and
   * cannot tell, so the answer is yes, as vhost signals once its last signalled index is stale.
   */
  needInterrupt(): boolean {
    if (this.broken) return false;
    const pushed = this.pushedSinceInterruptCheck;
    this.pushedSinceInterruptCheck = 0;
    if (pushed === 0) return false;
    if (!this.eventIdx) return (this.words.load(this.avail + AVAIL_FLAGS) & VRING_AVAIL_F_NO_INTERRUPT) === 0;
    return pushed > INDEX_MASK || needEvent(this.words.load(this.avail + this.events.usedEvent), this.usedIdx, (this.usedIdx - pushed) & INDEX_MASK);
  }

  /** The driver's next avail index as the device has consumed it (GET_VRING_BASE). */
  get base(): number {
    return this.lastAvail;
  }
}
