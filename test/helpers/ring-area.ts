// A hostile-ring case in DMA memory: a ring of HOSTILE_NUM and two data pages from a DmaPool,
// each case of hostile-rings.ts written there and published when the test says. The kernel
// test gives these bytes to real devices; the runtime tests give them to the simulated one.
import { u16 } from '../../runtime/codegen-v1.js';
import type { DmaPiece, DmaPool } from '../../runtime/dma-pool.js';
import type { DmaView } from '../../runtime/virtio/device-queue.js';
import { AVAIL, splitSizes, USED } from '../../runtime/virtio/split-layout.js';
import { goodRing, type RingBytes, type RingCase } from './hostile-rings.js';

const hex = (v: number | bigint) => `0x${v.toString(16)}`;

export const PAGE = 4096;
/** A small ring: every case fits it, and a good ring of 8 is as good as one of 256. */
export const HOSTILE_NUM = 8;

/** A ring of HOSTILE_NUM and two data pages in DMA memory, and SplitQueueDevice's view of them. */
export interface RingArea {
  area: DmaPiece;
  rings: { desc: DmaPiece; avail: DmaPiece; used: DmaPiece };
  target: RingBytes;
  /** Our device's IOMMU: this area alone (neither device's maps 2^40, the cases' unmapped IOVA). */
  ours: DmaView;
}

export function ringArea(pool: DmaPool): RingArea {
  const area = pool.alloc(5 * PAGE, PAGE);
  const page = (n: number, size: number) => ({ iova: area.iova + BigInt(n * PAGE), vaddr: area.vaddr + BigInt(n * PAGE), bytes: area.bytes.subarray(n * PAGE, n * PAGE + size) });
  const s = splitSizes(HOSTILE_NUM);
  const rings = { desc: page(0, s.desc), avail: page(1, s.avail), used: page(2, s.used) };
  const dv = new DataView(area.bytes.buffer, area.bytes.byteOffset, area.bytes.byteLength);
  const target: RingBytes = { dv, at: (iova) => Number(iova - area.iova), num: HOSTILE_NUM, desc: rings.desc.iova, avail: rings.avail.iova, data: area.iova + BigInt(3 * PAGE), unmapped: 1n << 40n };
  const ours: DmaView = {
    memory: area.bytes,
    translate: (iova, length) => {
      const off = iova - Number(area.iova);
      if (off < 0 || off + length > area.bytes.length) throw new Error(`IOVA ${hex(iova)}+${length} is not mapped`);
      return off;
    },
  };
  return { area, rings, target, ours };
}

/**
 * Writes the case's bytes with the avail index held at 0 and returns a function that publishes
 * it: a device given its rings sees nothing until then, as a driver publishes after setup.
 */
export function writeCase(a: RingArea, c: RingCase): { offered: number; publish: () => void; usedIdx: () => number } {
  a.area.bytes.fill(0);
  goodRing(a.target);
  c.build(a.target);
  const availIdx = a.target.at(a.rings.avail.iova) + AVAIL.idx;
  const offered = a.target.dv.getUint16(availIdx, true);
  a.target.dv.setUint16(availIdx, 0, true);
  const words = new Uint16Array(a.area.bytes.buffer, a.area.bytes.byteOffset, a.area.bytes.byteLength / u16.size);
  return {
    offered,
    publish: () => Atomics.store(words, availIdx / u16.size, offered),
    usedIdx: () => Atomics.load(words, (a.target.at(a.rings.used.iova) + USED.idx) / u16.size),
  };
}
