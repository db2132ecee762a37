// allocSplitRing's placement of a ring's three parts, from a pool whose next free byte may be
// anywhere: each part at the alignment virtio asks, none overlapping, within splitRingBytes,
// and no used element straddling a page (a device writing one as a single access crosses
// into the next page of its IOMMU mapping, which QEMU 7.2 gets wrong: split-layout.ts).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ALIGN, allocSplitRing, splitRingBytes, splitSizes, USED, type RingPiece } from '../../runtime/virtio/split-layout.js';
import { VIRTQUEUE_MAX_SIZE } from '../../runtime/policy.js';

const l = suite('split ring layout');
const PAGE = 4096;
const IOVA_BASE = 1n << 32n;
/** Where the pool is in "this process": another base than the IOVA, so a piece that moved one and not the other shows. */
const VADDR_BASE = 0x7f00_0000_0000n;
const memory = new Uint8Array(PAGE + splitRingBytes(VIRTQUEUE_MAX_SIZE));

/** A bump allocator over `memory` whose next free byte starts at `start`, and what it handed out. */
function pool(start: number) {
  let next = start;
  const alloc = (size: number, align: number): RingPiece => {
    const at = Math.ceil(next / align) * align;
    next = at + size;
    return { iova: IOVA_BASE + BigInt(at), vaddr: VADDR_BASE + BigInt(at), bytes: memory.subarray(at, at + size) };
  };
  return { alloc, taken: () => next - start };
}

/** The used elements of a ring at `used` (an IOVA) that straddle a page boundary. */
function straddling(used: bigint, num: number): number[] {
  const out: number[] = [];
  for (let k = 0; k < num; k++) {
    const first = Number(used % BigInt(PAGE)) + USED.ring + USED.elem * k;
    if (Math.floor(first / PAGE) !== Math.floor((first + USED.elem - 1) / PAGE)) out.push(k);
  }
  return out;
}

const SIZES = Array.from({ length: Math.log2(VIRTQUEUE_MAX_SIZE) + 1 }, (_, k) => 2 ** k);
/** Every 4-byte position in a page for the smaller rings; the first few for the rest (each costs num checks). */
const startsFor = (num: number) => Array.from({ length: num <= 1024 ? PAGE / 4 : 16 }, (_, k) => 4 * k);

l('wherever the pool starts, each part is aligned as virtio asks, none overlap, and no used element straddles a page', () => {
  let rings = 0;
  for (const num of SIZES) {
    const s = splitSizes(num);
    for (const start of startsFor(num)) {
      const p = pool(start);
      const r = allocSplitRing(num, p.alloc);
      const at = { desc: r.desc.iova - IOVA_BASE, avail: r.avail.iova - IOVA_BASE, used: r.used.iova - IOVA_BASE };
      const where = `ring of ${num} from byte ${start}`;
      for (const part of ['desc', 'avail', 'used'] as const) {
        assert.is(at[part] % BigInt(ALIGN[part]), 0n, `${where}: ${part} aligned to ${ALIGN[part]}`);
        assert.is(r[part].bytes.length, s[part], `${where}: ${part} holds ${s[part]} bytes`);
        assert.ok(at[part] >= BigInt(start), `${where}: ${part} is in the pool`);
      }
      assert.ok(at.desc + BigInt(s.desc) <= at.avail && at.avail + BigInt(s.avail) <= at.used, `${where}: the parts follow one another without overlapping`);
      assert.equal(straddling(r.used.iova, num), [], `${where}: no used element straddles a page`);
      assert.ok(p.taken() <= splitRingBytes(num), `${where}: ${p.taken()} bytes taken, splitRingBytes says at most ${splitRingBytes(num)}`);
      rings++;
    }
  }
  assert.ok(rings > 10_000, `${rings} placements checked`);
});

l('the check can fail: at only the alignment virtio asks, used rings from some starts have an element straddling a page', () => {
  // The layout before the placement: the used ring at the next 4-byte boundary.
  const num = 256;
  const hit = startsFor(num).filter((start) => {
    const p = pool(start);
    p.alloc(splitSizes(num).desc, ALIGN.desc);
    p.alloc(splitSizes(num).avail, ALIGN.avail);
    return straddling(p.alloc(splitSizes(num).used, ALIGN.used).iova, num).length > 0;
  });
  assert.ok(hit.length > 0, 'some start puts an element across a page');
});

l('the used ring is moved as one piece: its IOVA, its address in this process and its bytes alike', () => {
  for (const start of [0, 4, 8, 12, 4092]) {
    const r = allocSplitRing(64, pool(start).alloc);
    for (const part of ['desc', 'avail', 'used'] as const) {
      const offset = r[part].iova - IOVA_BASE;
      assert.is(r[part].vaddr! - VADDR_BASE, offset, `${part} from ${start}: the address moved with the IOVA`);
      assert.is(BigInt(r[part].bytes.byteOffset), offset, `${part} from ${start}: the bytes moved with the IOVA`);
    }
  }
  // A piece without an address in this process (an IOVA and bytes only) gets none.
  const plain = allocSplitRing(8, (size) => ({ iova: 0n, bytes: new Uint8Array(size) }));
  assert.not.ok('vaddr' in plain.used, 'no vaddr made up for a piece that had none');
});

l.run();
