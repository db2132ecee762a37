// The fastest JavaScript we could write for what `ring.c minimal` does, line for line: one
// top-level function, typed-array views (one load or store each; a little-endian host), masks
// instead of division, no checks beyond the C loop's, no translation, no chain objects. It is
// not a device anyone should ship; it measures what the engine itself allows, so that
// `npm run bench` can tell the cost of the runtime's checks and structure from the cost of
// running in JavaScript at all.
//
// It runs twice, from one source:
// - "consts": the layout numbers are module-local consts taken from the generated virtio_ring
//   model, as the runtime's are. The engine does not fold them: each is a load at each use.
// - "literals": the same function recompiled with those numbers written in as literals (by
//   substituting their values into its source), as gcc sees a struct's offsets. The engine
//   folds them into the index arithmetic.
// Measured on Node 20 while writing it: the views and state as parameters and locals of a
// top-level function, not variables a closure captures, are worth a further quarter.
import { VRING_DESC_F_INDIRECT as IMPORTED_INDIRECT } from '../../generated/virtio_ring.js';
import { AVAIL, DESC, INDEX_MASK as IMPORTED_INDEX_MASK, USED, splitSizes } from '../../runtime/virtio/split-layout.js';

const { size: DESC_SIZE, addr: DESC_ADDR, len: DESC_LEN, flags: DESC_FLAGS } = DESC;
const { idx: AVAIL_IDX, ring: AVAIL_RING } = AVAIL;
const { idx: USED_IDX, ring: USED_RING, elem: USED_ELEM, id: USED_ID, len: USED_LEN } = USED;
const INDEX_MASK = IMPORTED_INDEX_MASK;
const VRING_DESC_F_INDIRECT = IMPORTED_INDIRECT;
const BUFFER_LENGTH = 64;
const PAGE = 4096;
// Byte offsets to element indexes by shifts: a division would make the index a double.
const U16 = Math.log2(Uint16Array.BYTES_PER_ELEMENT);
const U32 = Math.log2(Uint32Array.BYTES_PER_ELEMENT);

interface Ring {
  num: number;
  batch: number;
  u16: Uint16Array;
  u32: Uint32Array;
  nextFree: Uint16Array;
  desc: number;
  avail: number;
  used: number;
  buffer: number;
  freeHead: number;
  availIdx: number;
  lastAvail: number;
  usedIdx: number;
  lastUsed: number;
  checksum: number;
}

/** `count` descriptors through the ring: the driver adds `batch`, the device uses them, the driver collects. */
function run(r: Ring, count: number): number {
  const { num, batch, u16, u32, nextFree, desc, avail, used, buffer } = r;
  const mask = num - 1;
  // Indexes of the fixed fields in the views, once.
  const availIdx16 = (avail + AVAIL_IDX) >> U16;
  const availRing16 = (avail + AVAIL_RING) >> U16;
  const usedIdx16 = (used + USED_IDX) >> U16;
  let { freeHead, availIdx, lastAvail, usedIdx, lastUsed, checksum } = r;
  let done = 0;
  while (done < count) {
    for (let b = 0; b < batch; b++) {
      const head = freeHead;
      freeHead = nextFree[head];
      const d = desc + head * DESC_SIZE;
      u32[(d + DESC_ADDR) >> U32] = buffer;
      u32[((d + DESC_ADDR) >> U32) + 1] = 0;
      u32[(d + DESC_LEN) >> U32] = BUFFER_LENGTH;
      u16[(d + DESC_FLAGS) >> U16] = 0;
      u16[availRing16 + (availIdx & mask)] = head;
      availIdx = (availIdx + 1) & INDEX_MASK;
    }
    u16[availIdx16] = availIdx;
    for (;;) {
      const pending = (u16[availIdx16] - lastAvail) & INDEX_MASK;
      if (pending === 0) break;
      if (pending > num) throw new Error('avail index jump');
      const head = u16[availRing16 + (lastAvail & mask)];
      const d = desc + head * DESC_SIZE;
      if (head >= num || u16[(d + DESC_FLAGS) >> U16] & VRING_DESC_F_INDIRECT) throw new Error('bad head');
      checksum = (checksum + u32[(d + DESC_LEN) >> U32]) | 0;
      lastAvail = (lastAvail + 1) & INDEX_MASK;
      const e = used + USED_RING + USED_ELEM * (usedIdx & mask);
      u32[(e + USED_ID) >> U32] = head;
      u32[(e + USED_LEN) >> U32] = 0;
      usedIdx = (usedIdx + 1) & INDEX_MASK;
      u16[usedIdx16] = usedIdx;
    }
    while (lastUsed !== u16[usedIdx16]) {
      const id = u32[(used + USED_RING + USED_ELEM * (lastUsed & mask) + USED_ID) >> U32];
      nextFree[id] = freeHead;
      freeHead = id;
      lastUsed = (lastUsed + 1) & INDEX_MASK;
      done++;
    }
  }
  Object.assign(r, { freeHead, availIdx, lastAvail, usedIdx, lastUsed, checksum });
  return done;
}

/** The layout numbers `run` uses, by name: what the "literals" variant writes into its source. */
const LAYOUT = { DESC_SIZE, DESC_ADDR, DESC_LEN, DESC_FLAGS, AVAIL_IDX, AVAIL_RING, USED_IDX, USED_RING, USED_ELEM, USED_ID, USED_LEN, INDEX_MASK, VRING_DESC_F_INDIRECT, BUFFER_LENGTH, U16, U32 };

/** `run` with every layout number written into its source as a literal. */
function withLiterals(): typeof run {
  let source = run.toString();
  for (const [name, value] of Object.entries(LAYOUT)) source = source.replace(new RegExp(`\\b${name}\\b`, 'g'), String(value));
  return new Function(`return ${source}`)() as typeof run;
}

export type FloorVariant = 'consts' | 'literals';

export function floorRate(num: number, batch: number, total: number, variant: FloorVariant): number {
  const loop = variant === 'literals' ? withLiterals() : run;
  const s = splitSizes(num);
  const pages = (n: number) => Math.ceil(n / PAGE) * PAGE;
  const desc = 0;
  const avail = pages(s.desc);
  const used = avail + pages(s.avail);
  const buffer = used + pages(s.used);
  const memory = new ArrayBuffer(buffer + BUFFER_LENGTH);
  const r: Ring = {
    num,
    batch,
    u16: new Uint16Array(memory),
    u32: new Uint32Array(memory),
    nextFree: new Uint16Array(num).map((_, i) => (i + 1) & (num - 1)),
    desc,
    avail,
    used,
    buffer,
    freeHead: 0,
    availIdx: 0,
    lastAvail: 0,
    usedIdx: 0,
    lastUsed: 0,
    checksum: 0,
  };
  const warm = loop(r, Math.min(total, 1_000_000));
  const t0 = performance.now();
  const done = loop(r, total);
  const rate = done / ((performance.now() - t0) / 1000);
  if (r.checksum !== ((BUFFER_LENGTH * (warm + done)) | 0)) throw new Error('the floor loop lost descriptors');
  return rate;
}
