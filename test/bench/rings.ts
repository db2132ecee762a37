// `npm run bench` (ring part): descriptors per second through the split ring, driver and
// device in one thread, at batch sizes 1, 32 and 256, against the C reference of the same
// protocol (test/bench/ring.c, compiled with gcc -O2 here) in the same run: the runtime
// through its bursts and one chain a call, against C doing the same checks; the same work as
// one JS function; the fastest JS loop against C's minimal loop; the ratios JS/C; and garbage
// collections over a million descriptors. Figures are printed, never asserted.
import { spawnSync } from 'node:child_process';
import { PerformanceObserver } from 'node:perf_hooks';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DmaArena } from '../helpers/rings.js';
import { floorRate, WARM_UP } from './ring-floor.js';
import { VIRTIO_F_VERSION_1 } from '../../generated/virtio_config.js';
import { virtio_net_hdr_mrg_rxbuf } from '../../generated/virtio_net.js';
import { SplitQueueDriver } from '../../runtime/virtio/driver-queue.js';
import { splitSizes } from '../../runtime/virtio/split-layout.js';
import { ThreadedDevice } from '../../runtime/virtio/threaded-device.js';

const QUEUE = 256;
const TOTAL = 2_000_000;
/** Bytes in each descriptor's buffer, as in ring.c. */
const BUFFER = 64;

/** Garbage collections seen while `f` runs: none means the loop allocated nothing worth collecting. */
async function countGcs(f: () => void): Promise<number> {
  let count = 0;
  const obs = new PerformanceObserver((list) => (count += list.getEntries().length));
  obs.observe({ entryTypes: ['gc'] });
  f();
  await new Promise((r) => setTimeout(r, 50)); // let the observer deliver
  obs.disconnect();
  return count;
}

/**
 * The runtime's driver and device, one chain a call: add, pop, push, popUsed. IOVAs as numbers
 * are the fast path; as bigints (what VFIO hands out) each descriptor pays a conversion.
 */
function singleRate(batch: number, total: number, iovaAs: 'number' | 'bigint'): Measured {
  const arena = new DmaArena(1 << 20);
  const { driver, device } = arena.queue<number>(QUEUE);
  const buf = arena.alloc(BUFFER);
  const readable = [{ iova: iovaAs === 'number' ? Number(buf.iova) : buf.iova, length: BUFFER }];
  const none: { iova: bigint; length: number }[] = [];
  const run = (n: number) => {
    let count = 0;
    let bytes = 0;
    while (count < n) {
      for (let b = 0; b < batch; b++) driver.add(readable, none);
      driver.publish();
      for (let c = device.pop(); c; c = device.pop()) {
        bytes += c.readableLength;
        device.push(c.head, 0);
      }
      while (driver.popUsed() >= 0) count++;
    }
    return checked(count, bytes);
  };
  return measure(run, total);
}

/** The same through the bursts: addBurst, popBurst, pushBurst, popUsedBurst, each once a round. */
function burstRate(batch: number, total: number): Measured {
  const arena = new DmaArena(1 << 20);
  const { driver, device } = arena.queue<number>(QUEUE);
  const buf = arena.alloc(BUFFER);
  const buffers = Array.from({ length: batch }, () => ({ iova: Number(buf.iova), length: BUFFER }));
  const heads = new Uint16Array(QUEUE);
  const written = new Uint32Array(QUEUE);
  const usedHeads = new Uint16Array(QUEUE);
  const lengths = new Uint32Array(QUEUE);
  const run = (n: number) => {
    let count = 0;
    let bytes = 0;
    while (count < n) {
      driver.addBurst(buffers, false);
      driver.publish();
      const popped = device.popBurst(heads);
      for (let k = 0; k < popped; k++) bytes += device.chainOf(heads[k]).readableLength;
      device.pushBurst(heads, written, popped);
      count += driver.popUsedBurst(usedHeads, lengths);
    }
    return checked(count, bytes);
  };
  return measure(run, total);
}

interface Measured {
  rate: number;
  run: (n: number) => number;
}

/** The device read every buffer whole, as ring.c's checksum shows it did; a count otherwise means lost descriptors. */
function checked(count: number, bytes: number): number {
  if (bytes !== count * BUFFER) throw new Error(`${count} descriptors but ${bytes} bytes read`);
  return count;
}

function measure(run: (n: number) => number, total: number): Measured {
  for (let k = 0; k < WARM_UP.calls; k++) run(WARM_UP.descriptors);
  global.gc?.();
  const t0 = performance.now();
  const done = run(total);
  return { rate: done / ((performance.now() - t0) / 1000), run };
}

/** The C reference, built once with gcc -O2 (test/bench/ring.c); undefined when gcc is missing. */
function buildC(): { run: (mode: 'minimal' | 'checked', batch: number, total: number) => number | undefined; done: () => void } | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'uapigen-ring-'));
  const exe = join(dir, 'ring');
  const cc = spawnSync('gcc', ['-O2', '-o', exe, join(process.cwd(), 'test', 'bench', 'ring.c')], { encoding: 'utf8' });
  if (cc.status !== 0) {
    console.log(`C reference not built: ${cc.stderr || cc.error?.message}`);
    rmSync(dir, { recursive: true, force: true });
    return undefined;
  }
  return {
    run: (mode, batch, total) => {
      const r = spawnSync(exe, [mode, String(QUEUE), String(batch), String(total)], { encoding: 'utf8' });
      return r.status === 0 ? Number(r.stdout.split(' ')[0]) : undefined;
    },
    done: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** The best of a few runs: this machine's speed drifts (a shared host), and the best run is the one least disturbed. */
const RUNS = 3;
const best = (f: () => number | undefined): number | undefined => {
  let top: number | undefined;
  for (let k = 0; k < RUNS; k++) {
    const v = f();
    if (v !== undefined && (top === undefined || v > top)) top = v;
  }
  return top;
};
const M = (rate: number | undefined) => (rate === undefined ? 'n/a' : (rate / 1e6).toFixed(1));
const ratio = (js: number, c: number | undefined) => (c === undefined ? 'n/a' : (js / c).toFixed(2));

console.log(`\n## Split ring, driver and device in one thread (queue ${QUEUE}, one-descriptor chains, M descriptors/s)`);
console.log('bursts: addBurst, popBurst, pushBurst and popUsedBurst, once a round each; one a call: add, pop, push and');
console.log('popUsed per chain, IOVAs as numbers (as bigints in brackets). JS one loop: the same checks and bookkeeping as');
console.log('one function (test/bench/ring-floor.ts). C: test/bench/ring.c, built with gcc -O2.');
console.log(`Each figure is the best of ${RUNS} runs. Target: runtime / C checked at least 0.5.`);
const c = buildC();
const row = (cells: string[]) => console.log(`| ${cells.join(' | ')} |`);
const withRatio = (js: number, base: number | undefined) => `${M(js)}`.concat(base === undefined ? '' : ` (${ratio(js, base)})`);
const floors: { batch: number; floor: number; minimal: number | undefined }[] = [];
console.log('\nAgainst ring.c checked (ratios to it in brackets):');
row(['batch', 'runtime, bursts', 'runtime, one a call', 'C checked', 'JS one loop', 'GCs per 1M, bursts / one a call']);
row(Array(6).fill('---'));
for (const batch of [1, 32, 256]) {
  const bursts = Array.from({ length: RUNS }, () => burstRate(batch, TOTAL));
  const singles = Array.from({ length: RUNS }, () => singleRate(batch, TOTAL, 'number'));
  const big = best(() => singleRate(batch, TOTAL, 'bigint').rate)!;
  const cChecked = best(() => c?.run('checked', batch, TOTAL * 5));
  const oneLoop = best(() => floorRate(QUEUE, batch, TOTAL * 5, 'checked'))!;
  floors.push({ batch, floor: best(() => floorRate(QUEUE, batch, TOTAL * 5, 'minimal'))!, minimal: best(() => c?.run('minimal', batch, TOTAL * 10)) });
  const burst = Math.max(...bursts.map((r) => r.rate));
  const single = Math.max(...singles.map((r) => r.rate));
  global.gc?.();
  const gcs = `${await countGcs(() => bursts[0].run(1_000_000))} / ${await countGcs(() => singles[0].run(1_000_000))}`;
  row([String(batch), withRatio(burst, cChecked), `${withRatio(single, cChecked)} [${M(big)}]`, M(cChecked), withRatio(oneLoop, cChecked), gcs]);
}
console.log('\nThe floor: what ring.c minimal does (no checks, no translation, no bookkeeping), as one JS loop:');
row(['batch', 'JS floor', 'C minimal', 'floor/C']);
row(Array(4).fill('---'));
for (const f of floors) row([String(f.batch), M(f.floor), M(f.minimal), f.minimal === undefined ? 'n/a' : ratio(f.floor, f.minimal)]);
c?.done();

/** Frames through the loopback with the device in a worker: each frame is a TX and an RX descriptor. */
async function workerRate(batch: number, frames: number): Promise<number> {
  const arena = new DmaArena(8 << 20);
  const s = splitSizes(QUEUE);
  const ring = () => ({ desc: arena.alloc(s.desc), avail: arena.alloc(s.avail), used: arena.alloc(s.used) });
  const rxRing = ring();
  const txRing = ring();
  const rx = new SplitQueueDriver<number>(QUEUE, rxRing, true);
  const tx = new SplitQueueDriver<number>(QUEUE, txRing, true);
  const dev = await ThreadedDevice.start('net', { memory: arena.mem.buffer as SharedArrayBuffer, num: QUEUE, eventIdx: true, features: 1n << BigInt(VIRTIO_F_VERSION_1), rings: [rxRing, txRing].map((r) => ({ desc: r.desc.iova, avail: r.avail.iova, used: r.used.iova })), budget: QUEUE });
  const hdr = virtio_net_hdr_mrg_rxbuf.size;
  const rxBuf = Array.from({ length: batch }, () => arena.alloc(hdr + 64, 64));
  const txBuf = arena.alloc(hdr + 64, 64);
  const txRef = [{ iova: txBuf.iova, length: hdr + 64 }];
  const none: { iova: bigint; length: number }[] = [];
  const rxRefs = rxBuf.map((b) => [{ iova: b.iova, length: b.bytes.length }]);
  const t0 = performance.now();
  let received = 0;
  while (received < frames) {
    for (let k = 0; k < batch; k++) rx.add(none, rxRefs[k], k);
    rx.publish();
    for (let k = 0; k < batch; k++) tx.add(txRef, none);
    tx.publish();
    dev.kick();
    for (let got = 0; got < batch; ) {
      const seen = dev.interrupts(0);
      for (let u = rx.getUsed(); u; u = rx.getUsed()) got++;
      rx.setInterrupts(true);
      if (got < batch) await dev.waitInterrupt(0, seen, 20);
    }
    while (tx.getUsed());
    received += batch;
  }
  const seconds = (performance.now() - t0) / 1000;
  await dev.stop();
  return (2 * received) / seconds;
}

console.log(`\n## Split ring with the device in a worker thread (net loopback, 64-byte frames, 2 descriptors a frame)`);
for (const batch of [1, 32, 256]) {
  const frames = batch === 1 ? 20_000 : 400_000;
  console.log(`batch ${String(batch).padStart(3)}: ${((await workerRate(batch, frames)) / 1e6).toFixed(2)} M descriptors/s`);
}
