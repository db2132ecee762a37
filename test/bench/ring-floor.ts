// The fastest JavaScript we could write for what `ring.c minimal` does, line for line: one
// function, typed-array views (one load or store each; a little-endian host), masks instead of
// division, no checks
// beyond the C loop's, no translation, no chain objects. It is not a device anyone should ship;
// it measures what the engine itself allows, so that `npm run bench` can tell the cost of the
// runtime's checks and structure from the cost of running in JavaScript at all.
import { VRING_DESC_F_INDIRECT } from '../../generated/virtio_ring.js';
import { AVAIL, DESC, INDEX_MASK, USED, splitSizes } from '../../runtime/virtio/split-layout.js';

const BUFFER_LENGTH = 64;

export function floorRate(num: number, batch: number, total: number): number {
  const s = splitSizes(num);
  const page = 4096;
  const descAt = 0;
  const availAt = Math.ceil(s.desc / page) * page;
  const usedAt = availAt + Math.ceil(s.avail / page) * page;
  const bufferAt = usedAt + Math.ceil(s.used / page) * page;
  const memory = new ArrayBuffer(bufferAt + BUFFER_LENGTH);
  const u16 = new Uint16Array(memory);
  const u32 = new Uint32Array(memory);
  const mask = num - 1;
  const nextFree = new Uint16Array(num).map((_, i) => (i + 1) & mask);
  // Ring state lives in one object between runs and in locals within one, where the engine
  // keeps it in registers; indexes are shifted, not divided.
  const state = { freeHead: 0, availIdx: 0, lastAvail: 0, usedIdx: 0, lastUsed: 0, checksum: 0, processed: 0 };
  const availIdxWord = (availAt + AVAIL.idx) >> 1;
  const availRingWord = (availAt + AVAIL.ring) >> 1;
  const usedIdxWord = (usedAt + USED.idx) >> 1;
  const usedRing = usedAt + USED.ring;
  // Layout numbers as locals: an imported object's fields are loads the loop would repeat.
  const [descSize, addrOff, lenOff, flagsOff, elemSize, idOff, usedLenOff, indirect] = [DESC.size, DESC.addr, DESC.len, DESC.flags, USED.elem, USED.id, USED.len, VRING_DESC_F_INDIRECT];
  const run = (count: number) => {
    let { freeHead, availIdx, lastAvail, usedIdx, lastUsed, checksum } = state;
    let done = 0;
    while (done < count) {
      for (let b = 0; b < batch; b++) {
        const head = freeHead;
        freeHead = nextFree[head];
        const d = descAt + head * descSize;
        u32[(d + addrOff) >> 2] = bufferAt;
        u32[((d + addrOff) >> 2) + 1] = 0;
        u32[(d + lenOff) >> 2] = BUFFER_LENGTH;
        u16[(d + flagsOff) >> 1] = 0;
        u16[availRingWord + (availIdx & mask)] = head;
        availIdx = (availIdx + 1) & INDEX_MASK;
      }
      u16[availIdxWord] = availIdx;
      for (;;) {
        const pending = (u16[availIdxWord] - lastAvail) & INDEX_MASK;
        if (pending === 0) break;
        if (pending > num) throw new Error('avail index jump');
        const head = u16[availRingWord + (lastAvail & mask)];
        const d = descAt + head * descSize;
        if (head >= num || u16[(d + flagsOff) >> 1] & indirect) throw new Error('bad head');
        checksum += u32[(d + lenOff) >> 2];
        lastAvail = (lastAvail + 1) & INDEX_MASK;
        const e = usedRing + elemSize * (usedIdx & mask);
        u32[(e + idOff) >> 2] = head;
        u32[(e + usedLenOff) >> 2] = 0;
        usedIdx = (usedIdx + 1) & INDEX_MASK;
        u16[usedIdxWord] = usedIdx;
      }
      while (lastUsed !== u16[usedIdxWord]) {
        const id = u32[(usedRing + elemSize * (lastUsed & mask) + idOff) >> 2];
        nextFree[id] = freeHead;
        freeHead = id;
        lastUsed = (lastUsed + 1) & INDEX_MASK;
        done++;
      }
    }
    Object.assign(state, { freeHead, availIdx, lastAvail, usedIdx, lastUsed, checksum, processed: state.processed + done });
    return done;
  };
  run(Math.min(total, 1_000_000)); // warm up
  const t0 = performance.now();
  const done = run(total);
  const rate = done / ((performance.now() - t0) / 1000);
  if (state.checksum !== BUFFER_LENGTH * state.processed) throw new Error('the floor loop lost descriptors');
  return rate;
}
