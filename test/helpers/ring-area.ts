// A hostile-ring case in DMA memory: a ring of HOSTILE_NUM and two data pages from a DmaPool,
// each case of hostile-rings.ts written there and published when the test says. The kernel
// test gives these bytes to real devices; the runtime tests give them to the simulated one.
import { u16 } from '../../runtime/codegen-v1.js';
import type { DmaMapper, DmaPiece, DmaPool } from '../../runtime/dma-pool.js';
import type { DmaView } from '../../runtime/virtio/device-queue.js';
import { mappedView } from './mappings.js';
import { AVAIL, splitSizes, USED } from '../../runtime/virtio/split-layout.js';
import { goodRing, type RingBytes, type RingCase } from './hostile-rings.js';

export const PAGE = 4096;
/** A small ring: every case fits it, and a good ring of 8 is as good as one of 256. */
export const HOSTILE_NUM = 8;

/** One mapping of the area's memory: where it is in IOVA and in the area, and its size. */
export interface AreaMapping {
  iova: bigint;
  /** Bytes from the area's start. */
  offset: number;
  size: number;
}

/** A ring of HOSTILE_NUM and two data pages in DMA memory, and SplitQueueDevice's view of them. */
export interface RingArea {
  area: DmaPiece;
  rings: { desc: DmaPiece; avail: DmaPiece; used: DmaPiece };
  target: RingBytes;
  /**
   * Every mapping of the area: all of it from the pool, then the data pages again, swapped and
   * meeting at `target.meeting` (vhost's memory table lists them all).
   */
  mappings: AreaMapping[];
  /** Our device's IOMMU: these mappings alone (neither device's maps 2^40, the cases' unmapped IOVA). */
  ours: DmaView;
}

/** Where the data pages are mapped again, from the area's IOVA: far past any pool the tests make. */
const MEETING_FROM_AREA = 1n << 30n;
const DATA_PAGE = 3;

/**
 * A ring area from `pool`, whose data pages `mapper` maps again (the pool maps the area itself):
 * the second page, then the first, meeting at `target.meeting`. `frame` is what a good buffer
 * holds (goodFrame), addressed to where the harness receives what the device sends.
 */
export function ringArea(pool: DmaPool, mapper: DmaMapper, frame: Uint8Array): RingArea {
  const area = pool.alloc(5 * PAGE, PAGE);
  const page = (n: number, size: number) => ({ iova: area.iova + BigInt(n * PAGE), vaddr: area.vaddr + BigInt(n * PAGE), bytes: area.bytes.subarray(n * PAGE, n * PAGE + size) });
  const s = splitSizes(HOSTILE_NUM);
  const rings = { desc: page(0, s.desc), avail: page(1, s.avail), used: page(2, s.used) };
  const again = area.iova + MEETING_FROM_AREA;
  const mappings: AreaMapping[] = [
    { iova: area.iova, offset: 0, size: area.bytes.length },
    { iova: again, offset: (DATA_PAGE + 1) * PAGE, size: PAGE },
    { iova: again + BigInt(PAGE), offset: DATA_PAGE * PAGE, size: PAGE },
  ];
  for (const m of mappings.slice(1)) mapper.mapDma(area.vaddr + BigInt(m.offset), m.iova, BigInt(m.size));
  const dv = new DataView(area.bytes.buffer, area.bytes.byteOffset, area.bytes.byteLength);
  const target: RingBytes = {
    dv,
    at: (iova) => Number(iova - area.iova),
    num: HOSTILE_NUM,
    desc: rings.desc.iova,
    avail: rings.avail.iova,
    data: area.iova + BigInt(DATA_PAGE * PAGE),
    frame,
    unmapped: 1n << 40n,
    meeting: mappings[2].iova,
  };
  const ours = mappedView(area.bytes, mappings.map((m) => ({ ...m, iova: Number(m.iova) })));
  return { area, rings, target, mappings, ours };
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
