// The split-ring protocol as plain JavaScript loops, for `npm run bench` to set beside the
// runtime and the C reference (test/bench/ring.c):
// - `run` does what `ring.c minimal` does, line for line: the fastest JS we could write for the
//   protocol itself, with no checks beyond the C loop's, no translation and no chain objects;
// - `runChecked` adds everything ring.c checked does for these chains: the device's checks
//   (avail jump, chains in flight, head and next range, loops, indirect refused, readable after
//   writable, overflow and translation, the 4 GiB limit) and chain bookkeeping, and the driver's
//   free list with per-head length, writable bytes and token, and the used entry checked
//   against them. It is the runtime's work with none of its structure.
// - `runFourCalls` is runChecked cut where the runtime is cut: the driver's add, the device's pop
//   and push, and the driver's collect, each a function called once a round with its state in
//   an object, as the runtime's bursts are methods with theirs in `this`. Its figure is what
//   that cut alone costs, with none of the runtime's other structure (Chain objects, the
//   DmaView's translate, tokens of the caller's): a ceiling for any driver and device that are
//   called separately. Its four functions repeat runChecked's lines on purpose: the figure is
//   the same code in the other shape, and code shared between them would be calls in one.
// None is a device anyone should ship. All read and write the rings through a DataView, as
// the runtime does, with the layout numbers from the generated virtio_ring model as consts.
// Each measurement compiles a fresh copy: one shared function carried the engine's feedback
// from one batch size to the next, and its rate swung twofold from run to run.
import * as ring from '../../generated/virtio_ring.js';
import { BUFFER } from './ring-cases.js';
import { BITS_PER_BYTE } from '../../runtime/policy.js';
import { AVAIL, DESC, INDEX_MASK as IMPORTED_INDEX_MASK, USED, splitSizes } from '../../runtime/virtio/split-layout.js';

const { size: DESC_SIZE, addr: DESC_ADDR, len: DESC_LEN, flags: DESC_FLAGS, next: DESC_NEXT } = DESC;
const { idx: AVAIL_IDX, ring: AVAIL_RING, entry: AVAIL_ENTRY } = AVAIL;
const { idx: USED_IDX, ring: USED_RING, elem: USED_ELEM, id: USED_ID, len: USED_LEN } = USED;
const INDEX_MASK = IMPORTED_INDEX_MASK;
const { VRING_DESC_F_INDIRECT, VRING_DESC_F_NEXT, VRING_DESC_F_WRITE } = ring;
const BUFFER_LENGTH = BUFFER;
const PAGE = 4096;
/** The high word of a descriptor's address is this far past the low one. */
const U32_BYTES = Uint32Array.BYTES_PER_ELEMENT;

const WORD = 2 ** (U32_BYTES * BITS_PER_BYTE);
/** Buffers a chain may hold in runChecked's per-head bookkeeping; the bench's chains have one. */
const CHAIN_SLOTS = 4;
const NOT_IN_FLIGHT = -1;
/** Calls, and descriptors a call, before a loop is timed (see floorRate). */
export const WARM_UP = { calls: 3, descriptors: 300_000 };

interface Ring {
  num: number;
  batch: number;
  mem: DataView;
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
  /** runFourCalls's burst arrays: heads popped, bytes written, and each popped chain's readable bytes by head. */
  popped: Uint16Array;
  written: Uint32Array;
  readable: Float64Array;
}

/** `count` descriptors through the ring: the driver adds `batch`, the device uses them, the driver collects. */
function run(r: Ring, count: number): number {
  const { num, batch, mem, nextFree, desc, avail, used, buffer } = r;
  const mask = num - 1;
  // Indexes of the fixed fields in the views, once.
  const availIdxAt = avail + AVAIL_IDX;
  const availRingAt = avail + AVAIL_RING;
  const usedIdxAt = used + USED_IDX;
  let { freeHead, availIdx, lastAvail, usedIdx, lastUsed, checksum } = r;
  let done = 0;
  while (done < count) {
    for (let b = 0; b < batch; b++) {
      const head = freeHead;
      freeHead = nextFree[head];
      const d = desc + head * DESC_SIZE;
      mem.setUint32(d + DESC_ADDR, buffer, true);
      mem.setUint32(d + DESC_ADDR + U32_BYTES, 0, true);
      mem.setUint32(d + DESC_LEN, BUFFER_LENGTH, true);
      mem.setUint16(d + DESC_FLAGS, 0, true);
      mem.setUint16(availRingAt + AVAIL_ENTRY * (availIdx & mask), head, true);
      availIdx = (availIdx + 1) & INDEX_MASK;
    }
    mem.setUint16(availIdxAt, availIdx, true);
    for (;;) {
      const pending = (mem.getUint16(availIdxAt, true) - lastAvail) & INDEX_MASK;
      if (pending === 0) break;
      if (pending > num) throw new Error('avail index jump');
      const head = mem.getUint16(availRingAt + AVAIL_ENTRY * (lastAvail & mask), true);
      const d = desc + head * DESC_SIZE;
      if (head >= num || mem.getUint16(d + DESC_FLAGS, true) & VRING_DESC_F_INDIRECT) throw new Error('bad head');
      checksum = (checksum + mem.getUint32(d + DESC_LEN, true)) | 0;
      lastAvail = (lastAvail + 1) & INDEX_MASK;
      const e = used + USED_RING + USED_ELEM * (usedIdx & mask);
      mem.setUint32(e + USED_ID, head, true);
      mem.setUint32(e + USED_LEN, 0, true);
      usedIdx = (usedIdx + 1) & INDEX_MASK;
      mem.setUint16(usedIdxAt, usedIdx, true);
    }
    while (lastUsed !== mem.getUint16(usedIdxAt, true)) {
      const id = mem.getUint32(used + USED_RING + USED_ELEM * (lastUsed & mask) + USED_ID, true);
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
  const { num, batch, mem, nextFree, desc, avail, used, buffer, size, chainOffsets, chainLengths, chainCount, chainLength, writable, tokens } = r;
  const mask = num - 1;
  const availIdxAt = avail + AVAIL_IDX;
  const availRingAt = avail + AVAIL_RING;
  const usedIdxAt = used + USED_IDX;
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
      mem.setUint32(d + DESC_ADDR, addr - hi * WORD, true);
      mem.setUint32(d + DESC_ADDR + U32_BYTES, hi, true);
      mem.setUint32(d + DESC_LEN, BUFFER_LENGTH, true);
      mem.setUint16(d + DESC_FLAGS, 0, true);
      freeHead = nextFree[head];
      numFree--;
      chainLength[head] = 1;
      writable[head] = 0;
      tokens[head] = undefined;
      mem.setUint16(availRingAt + AVAIL_ENTRY * (availIdx & mask), head, true);
      availIdx = (availIdx + 1) & INDEX_MASK;
    }
    mem.setUint16(availIdxAt, availIdx, true);
    for (;;) {
      // The device: pop, walk and check, push.
      const pending = (mem.getUint16(availIdxAt, true) - lastAvail) & INDEX_MASK;
      if (pending === 0) break;
      if (pending > num) throw new Error('avail index jump');
      if (inFlight >= num) throw new Error('too many in flight');
      const head = mem.getUint16(availRingAt + AVAIL_ENTRY * (lastAvail & mask), true);
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
        const flags = mem.getUint16(d + DESC_FLAGS, true);
        if (flags & VRING_DESC_F_INDIRECT) throw new Error('indirect: not in this loop');
        const write = (flags & VRING_DESC_F_WRITE) !== 0;
        if (!write && n > writableFrom) throw new Error('readable after writable');
        const high = mem.getUint32(d + DESC_ADDR + U32_BYTES, true);
        const low = mem.getUint32(d + DESC_ADDR, true);
        const addr = high === 0 ? low : high * WORD + low;
        const len = mem.getUint32(d + DESC_LEN, true);
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
        i = mem.getUint16(d + DESC_NEXT, true);
      }
      chainCount[head] = n;
      checksum = (checksum + readableLength) | 0;
      lastAvail = (lastAvail + 1) & INDEX_MASK;
      inFlight++;
      const e = used + USED_RING + USED_ELEM * (usedIdx & mask);
      mem.setUint32(e + USED_ID, head, true);
      mem.setUint32(e + USED_LEN, 0, true);
      usedIdx = (usedIdx + 1) & INDEX_MASK;
      mem.setUint16(usedIdxAt, usedIdx, true);
      inFlight--;
    }
    for (;;) {
      // The driver: collect, check against what is in flight, free.
      const pending = (mem.getUint16(usedIdxAt, true) - lastUsed) & INDEX_MASK;
      if (pending === 0) break;
      if (pending > num) throw new Error('used index jump');
      const e = used + USED_RING + USED_ELEM * (lastUsed & mask);
      const id = mem.getUint32(e + USED_ID, true);
      const length = mem.getUint32(e + USED_LEN, true);
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

/** runChecked's driver half that adds: `r.batch` one-buffer chains, made available, unpublished. */
function driverAdd(r: Ring): void {
  const { mem, desc, buffer, nextFree, chainLength, writable, tokens } = r;
  const mask = r.num - 1;
  const availRingAt = r.avail + AVAIL_RING;
  let { freeHead, numFree, availIdx } = r;
  for (let b = 0; b < r.batch; b++) {
    if (numFree === 0) throw new Error('queue full');
    const head = freeHead;
    const d = desc + head * DESC_SIZE;
    const addr = buffer;
    const hi = addr < WORD ? 0 : Math.floor(addr / WORD);
    mem.setUint32(d + DESC_ADDR, addr - hi * WORD, true);
    mem.setUint32(d + DESC_ADDR + U32_BYTES, hi, true);
    mem.setUint32(d + DESC_LEN, BUFFER_LENGTH, true);
    mem.setUint16(d + DESC_FLAGS, 0, true);
    freeHead = nextFree[head];
    numFree--;
    chainLength[head] = 1;
    writable[head] = 0;
    tokens[head] = undefined;
    mem.setUint16(availRingAt + AVAIL_ENTRY * (availIdx & mask), head, true);
    availIdx = (availIdx + 1) & INDEX_MASK;
  }
  r.freeHead = freeHead;
  r.numFree = numFree;
  r.availIdx = availIdx;
}

/** runChecked's device half that pops: every available chain walked and checked, its head to `r.popped`. */
function devicePop(r: Ring): number {
  const { num, mem, desc, size, chainOffsets, chainLengths, chainCount, readable, popped } = r;
  const mask = num - 1;
  const availRingAt = r.avail + AVAIL_RING;
  let { lastAvail, inFlight } = r;
  const pending = (mem.getUint16(r.avail + AVAIL_IDX, true) - lastAvail) & INDEX_MASK;
  if (pending > num) throw new Error('avail index jump');
  let got = 0;
  while (got < pending) {
    if (inFlight >= num) throw new Error('too many in flight');
    const head = mem.getUint16(availRingAt + AVAIL_ENTRY * (lastAvail & mask), true);
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
      const flags = mem.getUint16(d + DESC_FLAGS, true);
      if (flags & VRING_DESC_F_INDIRECT) throw new Error('indirect: not in this loop');
      const write = (flags & VRING_DESC_F_WRITE) !== 0;
      if (!write && n > writableFrom) throw new Error('readable after writable');
      const high = mem.getUint32(d + DESC_ADDR + U32_BYTES, true);
      const low = mem.getUint32(d + DESC_ADDR, true);
      const addr = high === 0 ? low : high * WORD + low;
      const len = mem.getUint32(d + DESC_LEN, true);
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
      i = mem.getUint16(d + DESC_NEXT, true);
    }
    chainCount[head] = n;
    readable[head] = readableLength;
    popped[got++] = head;
    lastAvail = (lastAvail + 1) & INDEX_MASK;
    inFlight++;
  }
  r.lastAvail = lastAvail;
  r.inFlight = inFlight;
  return got;
}

/** runChecked's device half that pushes: `count` popped heads used, the used index published once. */
function devicePush(r: Ring, count: number): void {
  const { num, mem, used, popped, written } = r;
  const mask = num - 1;
  let { usedIdx, inFlight } = r;
  for (let k = 0; k < count; k++) {
    const head = popped[k];
    if (inFlight === 0 || head >= num) throw new Error('bad push');
    const e = used + USED_RING + USED_ELEM * (usedIdx & mask);
    mem.setUint32(e + USED_ID, head, true);
    mem.setUint32(e + USED_LEN, written[k], true);
    usedIdx = (usedIdx + 1) & INDEX_MASK;
    inFlight--;
  }
  r.usedIdx = usedIdx;
  r.inFlight = inFlight;
  if (count > 0) mem.setUint16(used + USED_IDX, usedIdx, true);
}

/** runChecked's driver half that collects: every used entry checked against what is in flight, its chain freed. */
function driverCollect(r: Ring): number {
  const { num, mem, used, nextFree, chainLength, writable, tokens } = r;
  const mask = num - 1;
  let { lastUsed, freeHead, numFree } = r;
  const pending = (mem.getUint16(used + USED_IDX, true) - lastUsed) & INDEX_MASK;
  if (pending > num) throw new Error('used index jump');
  for (let k = 0; k < pending; k++) {
    const e = used + USED_RING + USED_ELEM * (lastUsed & mask);
    const id = mem.getUint32(e + USED_ID, true);
    const length = mem.getUint32(e + USED_LEN, true);
    const room = id < num ? writable[id] : NOT_IN_FLIGHT;
    if (room === NOT_IN_FLIGHT) throw new Error('used id not in flight');
    if (length > room) throw new Error('used length too long');
    const slots = chainLength[id];
    let tail = id;
    for (let j = 1; j < slots; j++) tail = nextFree[tail];
    nextFree[tail] = freeHead;
    freeHead = id;
    numFree += slots;
    chainLength[id] = 0;
    writable[id] = NOT_IN_FLIGHT;
    tokens[id] = undefined;
    lastUsed = (lastUsed + 1) & INDEX_MASK;
  }
  r.lastUsed = lastUsed;
  r.freeHead = freeHead;
  r.numFree = numFree;
  return pending;
}

/** runChecked's work through the four functions above, a round calling each once (as ring-case.ts's bursts do the runtime's). */
function runFourCalls(r: Ring, count: number): number {
  let checksum = r.checksum;
  let done = 0;
  while (done < count) {
    driverAdd(r);
    r.mem.setUint16(r.avail + AVAIL_IDX, r.availIdx, true);
    const got = devicePop(r);
    for (let k = 0; k < got; k++) checksum = (checksum + r.readable[r.popped[k]]) | 0;
    devicePush(r, got);
    done += driverCollect(r);
  }
  r.checksum = checksum;
  return done;
}

/** The layout numbers the loops use, by name: consts of the scope freshCopy compiles them in. */
const LAYOUT = { DESC_SIZE, DESC_ADDR, DESC_LEN, DESC_FLAGS, DESC_NEXT, VRING_DESC_F_NEXT, VRING_DESC_F_WRITE, WORD, CHAIN_SLOTS, NOT_IN_FLIGHT, AVAIL_IDX, AVAIL_RING, AVAIL_ENTRY, USED_IDX, USED_RING, USED_ELEM, USED_ID, USED_LEN, INDEX_MASK, VRING_DESC_F_INDIRECT, BUFFER_LENGTH, U32_BYTES };

/**
 * A fresh copy of `loop`, compiled for this measurement alone, with the layout numbers as consts
 * around it and fresh copies of the functions it calls (`calls`) beside it.
 */
function freshCopy(loop: typeof run, calls: readonly ((...args: never[]) => unknown)[] = []): typeof run {
  const consts = Object.entries(LAYOUT).map(([name, value]) => `const ${name} = ${value};`);
  const helpers = calls.map((f) => f.toString());
  return new Function(`${consts.join('\n')}\n${helpers.join('\n')}\nreturn ${loop.toString()}`)() as typeof run;
}

/** The loops floorRate measures: ring.c minimal's work, ring.c checked's in one function, and the same cut in four. */
export type FloorWork = 'minimal' | 'checked' | 'four-calls';

/** Descriptors per second through `run` (what ring.c minimal does), or `runChecked` or `runFourCalls` (what ring.c checked does). */
export function floorRate(num: number, batch: number, total: number, work: FloorWork): number {
  const loop =
    work === 'minimal'
      ? freshCopy(run)
      : work === 'checked'
        ? freshCopy(runChecked)
        : freshCopy(runFourCalls, [driverAdd, devicePop, devicePush, driverCollect]);
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
    mem: new DataView(memory),
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
    popped: new Uint16Array(num),
    written: new Uint32Array(num),
    readable: new Float64Array(num),
  };
  // Warm up over several calls: the first call runs in code compiled on entry to its loop
  // (on-stack replacement), and the next one measured at half the steady rate.
  let warm = 0;
  for (let k = 0; k < WARM_UP.calls; k++) warm += loop(r, WARM_UP.descriptors);
  const t0 = performance.now();
  const done = loop(r, total);
  const rate = done / ((performance.now() - t0) / 1000);
  if (r.checksum !== ((BUFFER_LENGTH * (warm + done)) | 0)) throw new Error('the floor loop lost descriptors');
  return rate;
}
