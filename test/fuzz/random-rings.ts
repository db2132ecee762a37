// What the ring fuzzers share: a seeded random source, a random split-ring state in memory, an
// identity IOMMU and one of many mappings that meet, and a driver on rings at a given place (for
// the well-formed cases).
import { VRING_DESC_F_INDIRECT, VRING_DESC_F_NEXT, VRING_DESC_F_WRITE } from '../../generated/virtio_ring.js';
import { Chain, DmaView } from '../../runtime/virtio/device-queue.js';
import { SplitQueueDriver } from '../../runtime/virtio/driver-queue.js';
import { ALIGN, AVAIL, DESC, splitSizes } from '../../runtime/virtio/split-layout.js';

/** The fuzz memory: rings and buffers, IOVA = offset. */
export const MEM = 1 << 16;
const FLAGS = [0, VRING_DESC_F_NEXT, VRING_DESC_F_WRITE, VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, VRING_DESC_F_INDIRECT, VRING_DESC_F_INDIRECT | VRING_DESC_F_NEXT];
/** Where the well-formed cases put their rings and buffers in the fuzz memory. */
export const TX_RING_AT = 0;
export const RX_RING_AT = MEM / 8;
export const DATA_AT = MEM / 4;
export const MAX_PIECE = 1100;

/** The fuzzers' random numbers: a seeded LCG, so a failing case is found again from its seed. */
export interface Random {
  /** In [0, 1). */
  next(): number;
  /** A whole number in [0, n). */
  pick(n: number): number;
}

export function seeded(seed: number): Random {
  let s = seed >>> 0;
  const next = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 0x1_0000_0000);
  return { next, pick: (n) => Math.floor(next() * n) };
}

/** Where a random ring was written and the avail index the driver starts from (SET_VRING_BASE). */
export interface RandomRing {
  num: number;
  addrs: { desc: bigint; avail: bigint; used: bigint };
  start: number;
  /** Chains the avail index offers past `start` (more than `num` is itself a fault). */
  offered: number;
}

/**
 * A random split-ring state in `mem` from byte `base` on (within `span` bytes): descriptors with
 * addresses mostly inside the memory (sometimes anywhere), lengths, flags and next fields mostly
 * plausible, a few descriptors scribbled where indirect tables may point, avail entries and an
 * avail index mostly within the ring.
 */
export function randomRing(r: Random, mem: Uint8Array, base = 0, span = mem.length - base): RandomRing {
  const dv = new DataView(mem.buffer, mem.byteOffset, mem.byteLength);
  const num = 1 << (1 + r.pick(8));
  const sizes = splitSizes(num);
  const descAt = base;
  const availAt = descAt + sizes.desc;
  const usedAt = Math.ceil((availAt + sizes.avail) / ALIGN.used) * ALIGN.used;
  for (let i = 0; i < num; i++) {
    const at = descAt + i * DESC.size;
    const addr = r.next() < 0.9 ? BigInt(r.pick(mem.length)) : BigInt(r.pick(0x7fffffff)) * BigInt(r.pick(0x7fffffff)) * 4n;
    dv.setBigUint64(at + DESC.addr, addr, true);
    dv.setUint32(at + DESC.len, r.next() < 0.8 ? r.pick(256) : r.next() < 0.5 ? DESC.size * r.pick(8) : r.pick(0xffffffff), true);
    dv.setUint16(at + DESC.flags, r.next() < 0.9 ? FLAGS[r.pick(FLAGS.length)] : r.pick(0x10000), true);
    dv.setUint16(at + DESC.next, r.next() < 0.8 ? r.pick(num) : r.pick(0x10000), true);
  }
  // Indirect tables may land anywhere in memory: scribble some descriptors there too.
  const tail = usedAt + sizes.used;
  for (let k = 0; k < 4; k++) {
    const at = tail + r.pick(base + span - tail - DESC.size);
    dv.setUint16(at + DESC.flags, FLAGS[r.pick(FLAGS.length)], true);
    dv.setUint16(at + DESC.next, r.pick(8), true);
  }
  for (let i = 0; i < num; i++) dv.setUint16(availAt + AVAIL.ring + AVAIL.entry * i, r.next() < 0.9 ? r.pick(num) : r.pick(0x10000), true);
  const start = r.pick(0x10000);
  const idx = r.next() < 0.8 ? (start + r.pick(num + 1)) & 0xffff : r.pick(0x10000);
  dv.setUint16(availAt + AVAIL.idx, idx, true);
  return { num, addrs: { desc: BigInt(descAt), avail: BigInt(availAt), used: BigInt(usedAt) }, start, offered: (idx - start) & 0xffff };
}


/** IOVA = offset over all of `mem`. */
export function identity(mem: Uint8Array): DmaView {
  return {
    memory: mem,
    translate: (iova, length) => {
      if (iova + length > mem.length) throw new Error('unmapped');
      return iova;
    },
  };
}

export function driverOn(mem: Uint8Array, at: number, num: number, eventIdx = false): SplitQueueDriver<number> {
  const sizes = splitSizes(num);
  const span = (off: number, len: number) => ({ iova: BigInt(off), bytes: mem.subarray(off, off + len) });
  const avail = at + sizes.desc;
  const used = Math.ceil((avail + sizes.avail) / ALIGN.used) * ALIGN.used;
  return new SplitQueueDriver<number>(num, { desc: span(at, sizes.desc), avail: span(avail, sizes.avail), used: span(used, sizes.used) }, eventIdx, 'same-thread');
}

export const ringOf = (d: SplitQueueDriver<number>) => ({ desc: d.rings.desc.iova as bigint, avail: d.rings.avail.iova as bigint, used: d.rings.used.iova as bigint });

/** What a fragmented IOMMU maps at each byte. */
const GAP = 0;
const READ_ONLY = 1;
const READ_WRITE = 2;

/** An IOMMU over `mem` in many mappings, and the check that a chain's pieces respect them. */
export interface FragmentedIommu {
  dma: DmaView;
  /** Why a piece of `chain` lies outside one mapping with its access, or undefined when none does. */
  strayPiece(chain: Chain): string | undefined;
}

/**
 * IOVA = offset, as identity(), but from `from` on in mappings of random sizes (1 byte to a
 * page) that meet: some read-only, some gaps. A DmaView that says where each ends, so buffers
 * across them go into chains in pieces.
 */
export function fragmented(r: Random, mem: Uint8Array, from: number): FragmentedIommu {
  const kind = new Uint8Array(mem.length);
  const end = new Uint32Array(mem.length);
  kind.fill(READ_WRITE, 0, from);
  end.fill(from, 0, from);
  for (let at = from; at < mem.length; ) {
    const stop = Math.min(mem.length, at + 1 + r.pick(4096));
    const p = r.next();
    kind.fill(p < 0.15 ? GAP : p < 0.3 ? READ_ONLY : READ_WRITE, at, stop);
    end.fill(stop, at, stop);
    at = stop;
  }
  const reach = (iova: number, write: boolean) => (iova < 0 || iova >= mem.length || kind[iova] === GAP || (write && kind[iova] === READ_ONLY) ? 0 : end[iova] - iova);
  return {
    dma: {
      memory: mem,
      translate: (iova, length, write) => {
        const n = reach(iova, write);
        if (n === 0 || length > n) throw new Error(`iova 0x${iova.toString(16)}+${length} is not in one mapping${write ? ' for writing' : ''}`);
        return iova;
      },
      mapped: reach,
    },
    strayPiece: (chain) => {
      for (let k = 0; k < chain.count; k++) {
        const write = k >= chain.writableFrom;
        if (chain.lengths[k] > 0 && chain.lengths[k] > reach(chain.offsets[k], write)) return `piece ${k} (${chain.offsets[k]}+${chain.lengths[k]}${write ? ', writable' : ''}) is not in one mapping with its access`;
      }
      return undefined;
    },
  };
}
