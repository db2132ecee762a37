// The fastest JavaScript we could write for what `ring.c minimal` does, line for line: one
// top-level function, typed-array views (one load or store each; a little-endian host), masks
// instead of division, no checks beyond the C loop's, no translation, no chain objects. It is
// not a device anyone should ship; it measures what the engine itself allows, so that
// `npm run bench` can tell the cost of the runtime's checks and structure from the cost of
// running in JavaScript at all.
//
// Each measurement compiles a fresh copy of the loop, in one of two forms, with the layout
// numbers taken from the generated virtio_ring model either way:
// - "consts": the numbers are consts of an enclosing scope, as the runtime's module consts are;
// - "literals": the numbers are written into the source, as gcc sees a struct's offsets.
// A second loop, `runChecked`, adds everything ring.c checked does for these chains: the
// device's checks (avail jump, chains in flight, head and next range, loops, indirect refused,
// readable after writable, overflow and translation, the 4 GiB limit) and chain bookkeeping, and
// the driver's free list with per-head length, writable bytes and token, and the used entry
// checked against them. It is the runtime's work with none of its structure: what JavaScript
// could reach against ring.c checked if the driver, the device and the caller were one function.
// Measured on Node 20 while writing it: the views and state as parameters and locals of a
// top-level function, not variables a closure captures, are worth a further quarter.
import * as ring from '../../generated/virtio_ring.js';
import { BITS_PER_BYTE } from '../../runtime/policy.js';
import { AVAIL, DESC, INDEX_MASK as IMPORTED_INDEX_MASK, USED, splitSizes } from '../../runtime/virtio/split-layout.js';

const { size: DESC_SIZE, addr: DESC_ADDR, len: DESC_LEN, flags: DESC_FLAGS, next: DESC_NEXT } = DESC;
const { idx: AVAIL_IDX, ring: AVAIL_RING } = AVAIL;
const { idx: USED_IDX, ring: USED_RING, elem: USED_ELEM, id: USED_ID, len: USED_LEN } = USED;
const INDEX_MASK = IMPORTED_INDEX_MASK;
const { VRING_DESC_F_INDIRECT, VRING_DESC_F_NEXT, VRING_DESC_F_WRITE } = ring;
const BUFFER_LENGTH = 64;
const PAGE = 4096;
// Byte offsets to element indexes by shifts: a division would make the index a double.
const U32_BYTES = Uint32Array.BYTES_PER_ELEMENT;
const U16 = Math.log2(Uint16Array.BYTES_PER_ELEMENT);
const U32 = Math.log2(U32_BYTES);

const WORD = 2 ** (U32_BYTES * BITS_PER_BYTE);
/** Buffers a chain may hold in runChecked's per-head bookkeeping; the bench's chains have one. */
const CHAIN_SLOTS = 4;
const NOT_IN_FLIGHT = -1;

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
  size: number;
  inFlight: number;
  numFree: number;
  chainOffsets: Float64Array;
  chainLengths: Uint32Array;
  chainCount: Uint8Array;
  chainLength: Uint16Array;
  writable: Float64Array;
  tokens: unknown[];
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

/** `run` with the runtime's checks and bookkeeping, still one function (see the header). */
function runChecked(r: Ring, count: number): number {
  const { num, batch, u16, u32, nextFree, desc, avail, used, buffer, size, chainOffsets, chainLengths, chainCount, chainLength, writable, tokens } = r;
  const mask = num - 1;
  const availIdx16 = (avail + AVAIL_IDX) >> U16;
  const availRing16 = (avail + AVAIL_RING) >> U16;
  const usedIdx16 = (used + USED_IDX) >> U16;
  let { freeHead, availIdx, lastAvail, usedIdx, lastUsed, checksum, inFlight, numFree } = r;
  let done = 0;
  while (done < count) {
    for (let b = 0; b < batch; b++) {
      // The driver: one readable buffer, its IOVA below 4 GiB.
      if (numFree === 0) throw new Error('queue full');
      const head = freeHead;
      const d = desc + head * DESC_SIZE;
      const addr = buffer;
      const hi = addr < WORD ? 0 : Math.floor(addr / WORD);
      u32[(d + DESC_ADDR) >> U32] = addr - hi * WORD;
      u32[((d + DESC_ADDR) >> U32) + 1] = hi;
      u32[(d + DESC_LEN) >> U32] = BUFFER_LENGTH;
      u16[(d + DESC_FLAGS) >> U16] = 0;
      freeHead = nextFree[head];
      numFree--;
      chainLength[head] = 1;
      writable[head] = 0;
      tokens[head] = undefined;
      u16[availRing16 + (availIdx & mask)] = head;
      availIdx = (availIdx + 1) & INDEX_MASK;
    }
    u16[availIdx16] = availIdx;
    for (;;) {
      // The device: pop, walk and check, push.
      const pending = (u16[availIdx16] - lastAvail) & INDEX_MASK;
      if (pending === 0) break;
      if (pending > num) throw new Error('avail index jump');
      if (inFlight >= num) throw new Error('too many in flight');
      const head = u16[availRing16 + (lastAvail & mask)];
      if (head >= num) throw new Error('head out of range');
      const slot = head * CHAIN_SLOTS;
      let n = 0;
      let writableFrom = 0;
      let readableLength = 0;
      let writableLength = 0;
      let steps = 0;
      for (let i = head; ; ) {
        if (i >= num) throw new Error('next out of range');
        if (++steps > num) throw new Error('chain loop');
        const d = desc + i * DESC_SIZE;
        const flags = u16[(d + DESC_FLAGS) >> U16];
        if (flags & VRING_DESC_F_INDIRECT) throw new Error('indirect: not in this loop');
        const write = (flags & VRING_DESC_F_WRITE) !== 0;
        if (!write && n > writableFrom) throw new Error('readable after writable');
        const high = u32[((d + DESC_ADDR) >> U32) + 1];
        const low = u32[(d + DESC_ADDR) >> U32];
        const addr = high === 0 ? low : high * WORD + low;
        const len = u32[(d + DESC_LEN) >> U32];
        if (!Number.isSafeInteger(addr + len)) throw new Error('address overflow');
        if (addr + len > size) throw new Error('unmapped');
        if (n === CHAIN_SLOTS) throw new Error('chain longer than the bookkeeping');
        chainOffsets[slot + n] = addr;
        chainLengths[slot + n] = len;
        n++;
        if (write) writableLength += len;
        else {
          writableFrom = n;
          readableLength += len;
        }
        if (readableLength + writableLength >= WORD) throw new Error('chain too big');
        if (!(flags & VRING_DESC_F_NEXT)) break;
        i = u16[(d + DESC_NEXT) >> U16];
      }
      chainCount[head] = n;
      checksum = (checksum + readableLength) | 0;
      lastAvail = (lastAvail + 1) & INDEX_MASK;
      inFlight++;
      const e = used + USED_RING + USED_ELEM * (usedIdx & mask);
      u32[(e + USED_ID) >> U32] = head;
      u32[(e + USED_LEN) >> U32] = 0;
      usedIdx = (usedIdx + 1) & INDEX_MASK;
      u16[usedIdx16] = usedIdx;
      inFlight--;
    }
    for (;;) {
      // The driver: collect, check against what is in flight, free.
      const pending = (u16[usedIdx16] - lastUsed) & INDEX_MASK;
      if (pending === 0) break;
      if (pending > num) throw new Error('used index jump');
      const e = used + USED_RING + USED_ELEM * (lastUsed & mask);
      const id = u32[(e + USED_ID) >> U32];
      const length = u32[(e + USED_LEN) >> U32];
      const room = id < num ? writable[id] : NOT_IN_FLIGHT;
      if (room === NOT_IN_FLIGHT) throw new Error('used id not in flight');
      if (length > room) throw new Error('used length too long');
      const slots = chainLength[id];
      let tail = id;
      for (let k = 1; k < slots; k++) tail = nextFree[tail];
      nextFree[tail] = freeHead;
      freeHead = id;
      numFree += slots;
      chainLength[id] = 0;
      writable[id] = NOT_IN_FLIGHT;
      tokens[id] = undefined;
      lastUsed = (lastUsed + 1) & INDEX_MASK;
      done++;
    }
  }
  Object.assign(r, { freeHead, availIdx, lastAvail, usedIdx, lastUsed, checksum, inFlight, numFree });
  return done;
}

/** The layout numbers the loops use, by name: what freshCopy writes into their source. */
const LAYOUT = { DESC_SIZE, DESC_ADDR, DESC_LEN, DESC_FLAGS, DESC_NEXT, VRING_DESC_F_NEXT, VRING_DESC_F_WRITE, WORD, CHAIN_SLOTS, NOT_IN_FLIGHT, AVAIL_IDX, AVAIL_RING, USED_IDX, USED_RING, USED_ELEM, USED_ID, USED_LEN, INDEX_MASK, VRING_DESC_F_INDIRECT, BUFFER_LENGTH, U16, U32 };

/**
 * A fresh copy of `loop`, compiled for this measurement alone (a shared function would carry the
 * engine's feedback from earlier batch sizes), with the layout numbers either as consts of an
 * enclosing scope, as the runtime's module consts are, or written into its source as literals.
 */
function freshCopy(loop: typeof run, variant: FloorVariant): typeof run {
  let source = loop.toString();
  if (variant === 'literals') {
    for (const [name, value] of Object.entries(LAYOUT)) source = source.replace(new RegExp(`\\b${name}\\b`, 'g'), String(value));
    return new Function(`return ${source}`)() as typeof run;
  }
  const consts = Object.entries(LAYOUT).map(([name, value]) => `const ${name} = ${value};`);
  return new Function(`${consts.join('\n')}\nreturn ${source}`)() as typeof run;
}

export type FloorVariant = 'consts' | 'literals';

/** Descriptors per second through `run` (what ring.c minimal does) or `runChecked` (what ring.c checked does). */
export function floorRate(num: number, batch: number, total: number, variant: FloorVariant, work: 'minimal' | 'checked' = 'minimal'): number {
  const source = work === 'checked' ? runChecked : run;
  const loop = freshCopy(source, variant);
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
    size: memory.byteLength,
    inFlight: 0,
    numFree: num,
    chainOffsets: new Float64Array(num * CHAIN_SLOTS),
    chainLengths: new Uint32Array(num * CHAIN_SLOTS),
    chainCount: new Uint8Array(num),
    chainLength: new Uint16Array(num),
    writable: new Float64Array(num).fill(NOT_IN_FLIGHT),
    tokens: new Array(num).fill(undefined),
  };
  const warm = loop(r, Math.min(total, 1_000_000));
  const t0 = performance.now();
  const done = loop(r, total);
  const rate = done / ((performance.now() - t0) / 1000);
  if (r.checksum !== ((BUFFER_LENGTH * (warm + done)) | 0)) throw new Error('the floor loop lost descriptors');
  return rate;
}
