// The 16-bit words of a split ring that the two sides hand each other: the avail and used
// indexes, used_event and avail_event, and the two flags words.
//
// With the other side in another thread or in hardware ('shared', the default), they are read
// and written with Atomics, which is what orders the plain memory around them: everything a
// side wrote before it stores an index is seen by the side that loads that index (virtio's write
// barrier before publishing, read barrier after reading), and a store then a load of another
// word stay in that order (the full barrier the event-idx handshake needs before it re-reads an
// index). Plain DataView accesses promise neither between threads, and a weakly ordered CPU
// reorders them.
//
// With both sides in one thread ('same-thread'), program order is all the order there is to
// keep, and plain accesses are enough. They are also cheaper: an Atomics store is a locked
// instruction on x86, and two of them a round took a third off the rate of one-descriptor bursts
// in one thread (npm run bench).
//
// The words are little-endian (virtio 1.x); Atomics use the host's order, so a big-endian host
// swaps them.
import { u16 } from '../codegen-v1.js';
import { BITS_PER_BYTE } from '../policy.js';

/** Who else touches the ring: another thread or hardware, or only this thread. */
export type RingOrdering = 'shared' | 'same-thread';

const WORD_BYTES = u16.size;
/** A byte offset to a word index: a shift, as every word offset of a ring is even. */
const WORD_SHIFT = Math.log2(WORD_BYTES);
const HOST_IS_LITTLE_ENDIAN = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;
const BYTE_MASK = (1 << BITS_PER_BYTE) - 1;
const swap = (v: number) => ((v & BYTE_MASK) << BITS_PER_BYTE) | (v >>> BITS_PER_BYTE);

/** The shared 16-bit words of a ring's memory, at even byte offsets. */
export interface RingWords {
  /** The word at byte `offset`, as the other side last published it. */
  load(offset: number): number;
  /** Publishes `value` at byte `offset`, after everything written before it. */
  store(offset: number, value: number): void;
}

/**
 * The words of `memory` (which must start at an even byte of its buffer) for `ordering`. Two
 * classes, not one with a flag: a program that uses one ordering calls one class, and the
 * engine inlines its accesses with no test of the ordering (a flag cost 5% of one-descriptor
 * bursts in one thread).
 */
export function ringWords(memory: Uint8Array, ordering: RingOrdering): RingWords {
  if (ordering !== 'shared' && ordering !== 'same-thread') throw new RangeError(`ring ordering ${String(ordering)}: 'shared' or 'same-thread'`);
  if (memory.byteOffset % WORD_BYTES !== 0) throw new RangeError(`ring memory at byte ${memory.byteOffset} of its buffer: 16-bit words need an even offset`);
  return ordering === 'shared' ? new AtomicWords(memory) : new PlainWords(memory);
}

class AtomicWords implements RingWords {
  private readonly words: Uint16Array;

  constructor(memory: Uint8Array) {
    this.words = new Uint16Array(memory.buffer, memory.byteOffset, Math.floor(memory.byteLength / WORD_BYTES));
  }

  load(offset: number): number {
    const v = Atomics.load(this.words, offset >> WORD_SHIFT);
    return HOST_IS_LITTLE_ENDIAN ? v : swap(v);
  }

  store(offset: number, value: number): void {
    Atomics.store(this.words, offset >> WORD_SHIFT, HOST_IS_LITTLE_ENDIAN ? value : swap(value));
  }
}

class PlainWords implements RingWords {
  private readonly view: DataView;

  constructor(memory: Uint8Array) {
    this.view = new DataView(memory.buffer, memory.byteOffset, memory.byteLength);
  }

  load(offset: number): number {
    return this.view.getUint16(offset, true);
  }

  store(offset: number, value: number): void {
    this.view.setUint16(offset, value, true);
  }
}
