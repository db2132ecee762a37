// One measurement of `npm run bench`'s ring part, in a process of its own:
//   node --expose-gc dist/test/bench/ring-case.js <case> <queue> <batch> <descriptors>
// prints `<descriptors per second> <garbage collections during the timed run>`.
//
// Each figure gets a fresh engine, as each run of the C reference gets a fresh process. In one
// process, the engine's feedback from one case shaped the code of the next: the same burst loop
// ran at 21 M/s at batch 32 after batch 1 had run, and at 33 M/s when batch 32 ran first.
//
// The loops are module functions that take their state as an argument. A closure made once
// is compiled with its captured variables as constants (the driver and device objects known
// at compile time), which a loop made twice is not; the first run in a process was up to
// half again as fast as the next. A module function is compiled the same way every time.
import { DmaArena } from '../helpers/rings.js';
import { withGcCount } from './gc-count.js';
import { floorRate, WARM_UP, type FloorWork } from './ring-floor.js';
import { BUFFER, RING_CASES, type RingCase } from './ring-cases.js';
import type { BufferRef, SplitQueueDriver } from '../../runtime/virtio/driver-queue.js';
import type { SplitQueueDevice } from '../../runtime/virtio/device-queue.js';
import type { RingOrdering } from '../../runtime/virtio/ring-words.js';

interface Queue {
  driver: SplitQueueDriver<number>;
  device: SplitQueueDevice;
  batch: number;
  buffers: BufferRef[];
  heads: Uint16Array;
  written: Uint32Array;
  usedHeads: Uint16Array;
  lengths: Uint32Array;
}

/**
 * Driver and device in this thread: 'same-thread' ordering, plain accesses to the shared words,
 * as a same-thread user would choose; `bursts-shared` measures the default, Atomics, beside it.
 */
function queue(num: number, batch: number, iovaAs: 'number' | 'bigint', ordering: RingOrdering): Queue {
  const arena = new DmaArena(1 << 20);
  const { driver, device } = arena.queue<number>(num, false, ordering);
  const buf = arena.alloc(BUFFER);
  const iova = iovaAs === 'number' ? Number(buf.iova) : buf.iova;
  return {
    driver,
    device,
    batch,
    buffers: Array.from({ length: batch }, () => ({ iova, length: BUFFER })),
    heads: new Uint16Array(num),
    written: new Uint32Array(num),
    usedHeads: new Uint16Array(num),
    lengths: new Uint32Array(num),
  };
}

/** The runtime through its bursts: addBurst, popBurst, pushBurst and popUsedBurst, once a round each. */
function bursts(q: Queue, n: number): number {
  const { driver, device, buffers, heads, written, usedHeads, lengths } = q;
  let count = 0;
  let short = 0;
  while (count < n) {
    driver.addBurst(buffers, false);
    driver.publish();
    const popped = device.popBurst(heads);
    for (let k = 0; k < popped; k++) short += BUFFER - device.chainOf(heads[k]).readableLength;
    device.pushBurst(heads, written, popped);
    count += driver.popUsedBurst(usedHeads, lengths);
  }
  return checked(count, short);
}

/** The runtime one chain a call: add, pop, push and popUsed. */
function oneACall(q: Queue, n: number): number {
  const { driver, device, batch } = q;
  const readable = [q.buffers[0]];
  const none: BufferRef[] = [];
  let count = 0;
  let short = 0;
  while (count < n) {
    for (let b = 0; b < batch; b++) driver.add(readable, none);
    driver.publish();
    for (let c = device.pop(); c; c = device.pop()) {
      short += BUFFER - c.readableLength;
      device.push(c.head, 0);
    }
    while (driver.popUsed() >= 0) count++;
  }
  return checked(count, short);
}

/**
 * The device saw every buffer whole, as ring.c's checksum shows it did. Kept as the bytes short
 * of that, which stay a small integer: a running total of bytes passes 2^31 after 33 million
 * descriptors, and the engine then boxes it as a heap number per round, which showed as garbage
 * collections that were the harness's, not the ring's.
 */
function checked(count: number, short: number): number {
  if (short !== 0) throw new Error(`${count} descriptors read ${short} bytes short of ${BUFFER} each`);
  return count;
}

/** The cases that are ring-floor.ts's loops, and which loop each is. */
const FLOOR_WORK: Partial<Record<RingCase, FloorWork>> = { 'one-loop': 'checked', 'four-calls': 'four-calls', floor: 'minimal' };

async function measure(which: RingCase, num: number, batch: number, total: number): Promise<{ rate: number; gcs: number }> {
  const work = FLOOR_WORK[which];
  if (work !== undefined) {
    // floorRate warms its loop up and times it; it keeps no state between calls worth collecting.
    const { result, gcs } = await withGcCount(() => floorRate(num, batch, total, work));
    return { rate: result, gcs };
  }
  const q = queue(num, batch, which === 'one-a-call-bigint' ? 'bigint' : 'number', which === 'bursts-shared' ? 'shared' : 'same-thread');
  const loop = which === 'bursts' || which === 'bursts-shared' ? bursts : oneACall;
  for (let k = 0; k < WARM_UP.calls; k++) loop(q, WARM_UP.descriptors);
  global.gc?.();
  const { result, gcs } = await withGcCount(() => {
    const t0 = performance.now();
    const done = loop(q, total);
    return done / ((performance.now() - t0) / 1000);
  });
  return { rate: result, gcs };
}

const [which, num, batch, total] = process.argv.slice(2);
if (!RING_CASES.includes(which as RingCase) || !(Number(num) > 0) || !(Number(batch) > 0) || !(Number(total) > 0)) {
  console.error(`usage: ring-case.js ${RING_CASES.join('|')} <queue size> <batch> <descriptors>`);
  process.exit(2);
}
const { rate, gcs } = await measure(which as RingCase, Number(num), Number(batch), Number(total));
console.log(`${Math.round(rate)} ${gcs}`);
