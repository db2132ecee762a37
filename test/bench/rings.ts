// `npm run bench` (ring part): descriptors per second through the split ring, driver and
// device in one thread, at batch sizes 1, 32 and 256, against the C reference of the same
// protocol (test/bench/ring.c, compiled with gcc -O2 here) in the same run: the runtime
// through its bursts and one chain a call, against C doing the same checks; the same work as
// one JS function, and cut into four as the runtime is; the fastest JS loop against C's
// minimal loop; the ratios JS/C; and garbage collections over the timed run of two million
// descriptors; the same runtime and C counted in instructions per descriptor by valgrind
// (ring-instructions.ts), a figure the host's speed does not move. Then the ring with its
// device in a worker thread against ring.c's threads (ring-threads.ts) and the net loopback
// with its device in a worker (worker), and the block RAM disk (block.ts). Figures are
// printed, never asserted.
//
// Every figure, JS or C, is a process of its own (test/bench/ring-case.ts for JS), and the
// cases take turns, so a slow spell of this shared host falls on all of them alike; each
// figure is the best of RUNS.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DmaArena, ringIovas } from '../helpers/rings.js';
import type { RingCase } from './ring-cases.js';
import { VIRTIO_F_VERSION_1 } from '../../generated/virtio_config.js';
import { virtio_net_hdr_mrg_rxbuf } from '../../generated/virtio_net.js';
import { SplitQueueDriver } from '../../runtime/virtio/driver-queue.js';
import { ThreadedDevice } from '../../runtime/virtio/threaded-device.js';
import { SplitQueueDevice } from '../../runtime/virtio/device-queue.js';
import { NetLoopback } from '../../runtime/virtio/net-loopback.js';
import { WORKER_POLL_US } from '../../runtime/policy.js';
import { countGcs } from './gc-count.js';
import { buildRingC, type RingCMode } from './ring-c.js';
import { instructionsPerDescriptor, nodeInstructionsByFunction, valgrindMissing } from './ring-instructions.js';
import { blockTable } from './block.js';
import { ringThreadsRate } from './ring-threads.js';
import { chosenParts, scriptArgs } from '../../generator/tools/script-args.js';
import { benchHost } from '../../generator/tools/bench-host.js';

const QUEUE = 256;
const TOTAL = 2_000_000;
/** The best of this many runs of each figure: this machine's speed drifts (a shared host), and the best run is the one least disturbed. */
const RUNS = 7;
/** Runs of each worker-thread figure, the best kept: two threads feel the host's slow spells more. */
const WORKER_RUNS = 3;
const CASE_SCRIPT = join(dirname(fileURLToPath(import.meta.url)), 'ring-case.js');

interface Figure {
  rate: number;
  gcs: number;
}

/** One JS measurement in a fresh process; undefined (and the reason printed) when it failed. */
function jsFigure(which: RingCase, batch: number, total: number): Figure | undefined {
  const r = spawnSync(
    process.execPath,
    ['--expose-gc', CASE_SCRIPT, which, String(QUEUE), String(batch), String(total)],
    { encoding: 'utf8' },
  );
  const [rate, gcs] = r.stdout.trim().split(' ').map(Number);
  if (r.status !== 0 || !(rate > 0)) {
    console.log(`${which} at batch ${batch} failed: ${r.stderr.trim() || r.error?.message || `exit ${r.status}`}`);
    return undefined;
  }
  return { rate, gcs };
}

/** The C reference (ring-c.ts), with its runs as figures; undefined, and why said, when it could not be built. */
function buildC():
  | { exe: string; run: (mode: RingCMode, batch: number, total: number) => Figure | undefined; done: () => void }
  | undefined {
  const c = buildRingC();
  if ('error' in c) {
    console.log(`C reference not built: ${c.error}`);
    return undefined;
  }
  return {
    exe: c.exe,
    run: (mode, batch, total) => {
      const r = c.run(mode, QUEUE, batch, total);
      return r === undefined ? undefined : { rate: r.rate, gcs: 0 };
    },
    done: c.done,
  };
}

const M = (f: Figure | undefined, digits = 1) => (f === undefined ? 'n/a' : (f.rate / 1e6).toFixed(digits));
const ratio = (js: Figure | undefined, c: Figure | undefined) =>
  js === undefined || c === undefined ? 'n/a' : (js.rate / c.rate).toFixed(2);
const withRatio = (js: Figure | undefined, c: Figure | undefined) =>
  `${M(js)}`.concat(c === undefined ? '' : ` (${ratio(js, c)})`);
const gcsOf = (f: Figure | undefined) => (f === undefined ? 'n/a' : String(f.gcs));
const row = (cells: string[]) => console.log(`| ${cells.join(' | ')} |`);

/** The same-thread table: the runtime against ring.c and the JS loops. */
function sameThread(): void {
  console.log(
    `\n## Split ring, driver and device in one thread (queue ${QUEUE}, one-descriptor chains, M descriptors/s)`,
  );
  console.log('The rings with same-thread ordering (plain accesses to the shared words; with the default, Atomics,');
  console.log('in brackets after bursts). bursts: addBurst, popBurst, pushBurst and popUsedBurst, once a round each;');
  console.log(
    'one a call: add, pop, push and popUsed per chain, IOVAs as numbers (as bigints in brackets). JS one loop:',
  );
  console.log('the same checks and bookkeeping as one function (test/bench/ring-floor.ts). JS four calls: the same');
  console.log("cut into the driver's add, the device's pop and push and the driver's collect, called once a round");
  console.log('each, as the bursts are: what that cut alone costs. C: test/bench/ring.c, gcc -O2.');
  console.log(
    `Each figure is the best of ${RUNS} runs, each run a fresh process, the cases in turn. Target: runtime / C checked at least 0.5.`,
  );
  const c = buildC();
  const cases: { key: string; run: (batch: number) => Figure | undefined }[] = [
    { key: 'C checked', run: (batch) => c?.run('checked', batch, TOTAL * 5) },
    { key: 'bursts', run: (batch) => jsFigure('bursts', batch, TOTAL) },
    { key: 'bursts, shared', run: (batch) => jsFigure('bursts-shared', batch, TOTAL) },
    { key: 'one a call', run: (batch) => jsFigure('one-a-call', batch, TOTAL) },
    { key: 'one a call, bigint', run: (batch) => jsFigure('one-a-call-bigint', batch, TOTAL) },
    { key: 'one loop', run: (batch) => jsFigure('one-loop', batch, TOTAL * 5) },
    { key: 'four calls', run: (batch) => jsFigure('four-calls', batch, TOTAL * 5) },
    { key: 'C minimal', run: (batch) => c?.run('minimal', batch, TOTAL * 10) },
    { key: 'floor', run: (batch) => jsFigure('floor', batch, TOTAL * 5) },
  ];
  const results = new Map<number, Map<string, Figure | undefined>>();
  for (const batch of [1, 32, 256]) {
    const best = new Map<string, Figure | undefined>();
    for (let k = 0; k < RUNS; k++)
      for (const { key, run } of cases) {
        const f = run(batch);
        const top = best.get(key);
        if (f !== undefined && (top === undefined || f.rate > top.rate)) best.set(key, f);
      }
    results.set(batch, best);
  }
  console.log('\nAgainst ring.c checked (ratios to it in brackets):');
  row([
    'batch',
    'runtime, bursts',
    'runtime, one a call',
    'C checked',
    'JS one loop',
    'JS four calls',
    'GCs in the timed run, bursts / one a call',
  ]);
  row(Array(7).fill('---'));
  for (const [batch, f] of results) {
    const cChecked = f.get('C checked');
    row([
      String(batch),
      `${withRatio(f.get('bursts'), cChecked)} [${M(f.get('bursts, shared'))}]`,
      `${withRatio(f.get('one a call'), cChecked)} [${M(f.get('one a call, bigint'))}]`,
      M(cChecked),
      withRatio(f.get('one loop'), cChecked),
      withRatio(f.get('four calls'), cChecked),
      `${gcsOf(f.get('bursts'))} / ${gcsOf(f.get('one a call'))}`,
    ]);
  }
  console.log('\nThe floor: what ring.c minimal does (no checks, no translation, no bookkeeping), as one JS loop:');
  row(['batch', 'JS floor', 'C minimal', 'floor/C']);
  row(Array(4).fill('---'));
  for (const [batch, f] of results)
    row([String(batch), M(f.get('floor')), M(f.get('C minimal')), ratio(f.get('floor'), f.get('C minimal'))]);
  c?.done();
}

/**
 * The instruction table: the runtime's bursts, the same work cut into four calls as plain JS
 * (ring-floor.ts), and ring.c checked, instructions per descriptor as callgrind counts them
 * (ring-instructions.ts). Rates swing with this host; these do not. The runtime's count less the
 * four calls' is what its own code costs past that cut, which at batch 1 is per round.
 */
async function instructionTable(): Promise<void> {
  console.log(`\n## Instructions per descriptor, driver and device in one thread (queue ${QUEUE}, one-descriptor chains)`);
  console.log('User-space instructions, counted by valgrind --tool=callgrind, over the descriptors between a run of one');
  console.log('million and one of three, so start-up, compiling and warm-up fall out; node with --single-threaded. The');
  console.log('same build gives the same count to about one percent, where its rate swings by a third. Instructions are');
  console.log("not time: the engine's are simpler than gcc's, so the ratio of rates stands above the ratio of counts.");
  console.log("JS four calls: ring.c checked's work cut into the runtime's four calls, as in the rate table; the last");
  console.log("column is the runtime's count less that one: what the runtime's own code costs past the cut. Below the");
  console.log("table, each JS count by function, from the same runs (node's --perf-basic-prof map names the JIT's code;");
  console.log('a function inlined into another counts as that one).');
  const missing = valgrindMissing();
  if (missing !== undefined) {
    console.log(`Not counted: ${missing}.`);
    return;
  }
  const c = buildC();
  if (c === undefined) return;
  // A count that failed is said in its cell, and the table goes on.
  const counted = <T>(count: Promise<T>) => count.then((n) => ({ n }), (e: unknown) => ({ error: (e as Error).message }));
  const cell = (r: { n: number } | { error: string }) => ('n' in r ? r.n.toFixed(0) : 'failed');
  const splits: string[] = [];
  /** A JS case's count, its split by function kept for the lines below the table. */
  const jsCount = async (which: RingCase, batch: number) => {
    const r = await counted(
      nodeInstructionsByFunction((n) => ['--single-threaded', '--expose-gc', CASE_SCRIPT, which, String(QUEUE), String(batch), String(n)], 1_000_000, 3_000_000),
    );
    if (!('n' in r)) return r;
    splits.push(`batch ${batch}, ${which}: ${r.n.byFunction.map(([name, n]) => `${name} ${n.toFixed(0)}`).join(', ')}`);
    return { n: r.n.perDescriptor };
  };
  try {
    row(['batch', 'runtime, bursts', 'JS four calls', 'C checked', 'C / runtime', 'runtime less four calls']);
    row(Array(6).fill('---'));
    const failures: string[] = [];
    for (const batch of [1, 32, 256]) {
      const js = await jsCount('bursts', batch);
      const cut = await jsCount('four-calls', batch);
      const cc = await counted(instructionsPerDescriptor((n) => [c.exe, 'checked', String(QUEUE), String(batch), String(n)], 1_000_000, 3_000_000));
      for (const r of [js, cut, cc]) if ('error' in r) failures.push(`batch ${batch}: ${r.error}`);
      row([
        String(batch),
        cell(js),
        cell(cut),
        cell(cc),
        'n' in js && 'n' in cc ? (cc.n / js.n).toFixed(2) : 'n/a',
        'n' in js && 'n' in cut ? (js.n - cut.n).toFixed(0) : 'n/a',
      ]);
    }
    for (const f of failures) console.log(`failed: ${f}`);
    if (splits.length > 0) console.log(`\nBy function, instructions a descriptor:\n${splits.join('\n')}`);
  } finally {
    c.done();
  }
}

/** Where the loopback's device side runs: in this thread, or in a worker polling for this long (µs). */
type LoopbackHost = 'in process' | { pollMicros: number };

/** What the driver loop needs of the device: ThreadedDevice's calls, or the same over a loopback run in place. */
interface LoopbackDevice {
  kick(): void;
  interrupts(queue: number): number;
  waitInterrupt(queue: number, seen: number, timeoutMs: number): Promise<boolean>;
  stop(): Promise<unknown>;
}

/** The loopback in this thread: a kick runs it at once, so a batch is whole when kick returns. */
function inProcess(arena: DmaArena, rings: { desc: bigint; avail: bigint; used: bigint }[]): LoopbackDevice {
  const [rx, tx] = rings.map((r) => new SplitQueueDevice(QUEUE, r, arena.dma, true));
  const net = new NetLoopback(rx, tx, 1n << BigInt(VIRTIO_F_VERSION_1));
  return {
    kick: () => void net.run(QUEUE),
    interrupts: () => 0,
    waitInterrupt: () => Promise.reject(new Error('the in-process loopback left frames of a batch behind')),
    stop: () => Promise.resolve(),
  };
}

/**
 * Frames through the loopback, each a TX and an RX descriptor: the driver refills RX and sends
 * a batch by bursts, kicks, and collects the batch by bursts (the rings' default ordering,
 * Atomics, wherever the device is, so that only where it runs differs).
 */
async function loopbackRate(batch: number, frames: number, host: LoopbackHost): Promise<Figure> {
  const arena = new DmaArena(8 << 20);
  const rxRing = arena.rings(QUEUE);
  const txRing = arena.rings(QUEUE);
  const rx = new SplitQueueDriver<number>(QUEUE, rxRing, true);
  const tx = new SplitQueueDriver<number>(QUEUE, txRing, true);
  const rings = [rxRing, txRing].map(ringIovas);
  const dev: LoopbackDevice =
    host === 'in process'
      ? inProcess(arena, rings)
      : await ThreadedDevice.start('net', {
          memory: arena.mem.buffer as SharedArrayBuffer,
          num: QUEUE,
          eventIdx: true,
          features: 1n << BigInt(VIRTIO_F_VERSION_1),
          rings,
          budget: QUEUE,
          pollMicros: host.pollMicros,
        });
  const hdr = virtio_net_hdr_mrg_rxbuf.size;
  const rxRefs = Array.from({ length: batch }, () => {
    const b = arena.alloc(hdr + 64, 64);
    return { iova: Number(b.iova), length: b.bytes.length };
  });
  const rxTokens = rxRefs.map((_, k) => k);
  const txBuf = arena.alloc(hdr + 64, 64);
  const txRefs = Array.from({ length: batch }, () => ({ iova: Number(txBuf.iova), length: hdr + 64 }));
  const heads = new Uint16Array(QUEUE);
  const lengths = new Uint32Array(QUEUE);
  // The first tenth warms both threads' code up and is not timed.
  const warmUp = Math.ceil(frames / 10 / batch) * batch;
  // Both start when the warm-up ends (received passes warmUp exactly: both are whole batches).
  let t0 = 0;
  let gcs: ReturnType<typeof countGcs> | undefined;
  let received = 0;
  while (received < frames + warmUp) {
    if (received === warmUp) {
      // Collect what earlier runs left (8 MiB arenas, the other tables' buffers), so that a
      // collection counted below is this loop's own garbage (run with --expose-gc).
      globalThis.gc?.();
      t0 = performance.now();
      gcs = countGcs();
    }
    rx.addBurst(rxRefs, true, rxTokens);
    rx.publish();
    tx.addBurst(txRefs, false);
    tx.publish();
    dev.kick();
    for (let got = 0; got < batch; ) {
      const seen = dev.interrupts(0);
      got += rx.popUsedBurst(heads, lengths);
      rx.setInterrupts(true);
      if (got < batch) await dev.waitInterrupt(0, seen, 20);
    }
    // The device pushes a frame's TX entry before its RX one: the batch's TX entries are all there.
    while (tx.popUsedBurst(heads, lengths) > 0);
    received += batch;
  }
  const seconds = (performance.now() - t0) / 1000;
  const collections = (await gcs?.stop()) ?? NaN;
  await dev.stop();
  return { rate: (2 * (received - warmUp)) / seconds, gcs: collections };
}

/** The two-thread ring table: the runtime's device in a worker against ring.c threads, best of WORKER_RUNS, in turn. */
async function ringThreads(): Promise<void> {
  console.log(`\n## Split ring, the driver in this thread and the device in another (queue ${QUEUE}, one-descriptor chains, M descriptors/s)`);
  console.log(`runtime: the device a SplitQueueDevice in a worker (test/bench/ring-worker.ts), each side polling up to ${WORKER_POLL_US} µs`);
  console.log('before it sleeps, with event idx; the device pops and pushes by bursts. C: ring.c threads, the device in a');
  console.log(`pthread, both sides spinning and never sleeping, the device pushing by bursts too. Best of ${WORKER_RUNS}, in turn.`);
  console.log(`GCs: garbage collections over the timed descriptors in the driver's thread / in the device's, in each of the ${WORKER_RUNS} runs.`);
  row(['batch', 'runtime, worker', 'C threads', 'runtime/C', 'GCs']);
  row(Array(5).fill('---'));
  const c = buildC();
  for (const batch of [1, 32, 256]) {
    // A batch of one is a round trip between the threads each descriptor: fewer of them.
    const total = batch === 1 ? TOTAL / 10 : TOTAL;
    let js: Figure | undefined;
    let cThreads: Figure | undefined;
    // Every run's counts, not only the fastest one's: a collection in any run is shown.
    const gcs: string[] = [];
    for (let k = 0; k < WORKER_RUNS; k++) {
      const run = await ringThreadsRate(QUEUE, batch, total).catch((e: Error) => {
        console.log(`the runtime's worker at batch ${batch} failed: ${e.message}`);
        return undefined;
      });
      if (run !== undefined) {
        gcs.push(`${run.driverGcs}/${run.deviceGcs}`);
        if (js === undefined || run.rate > js.rate) js = { rate: run.rate, gcs: NaN };
      }
      const f = c?.run('threads', batch, total);
      if (f !== undefined && (cThreads === undefined || f.rate > cThreads.rate)) cThreads = f;
    }
    row([String(batch), M(js, 2), M(cThreads, 2), ratio(js, cThreads), gcs.join(' ') || 'n/a']);
  }
  c?.done();
}

/** The loopback table: the device in this thread, in a worker polling, in a worker sleeping at once. */
async function workerThread(): Promise<void> {
  console.log(
    `\n## Net loopback, the device in this thread or in a worker (64-byte frames, 2 descriptors a frame, M descriptors/s)`,
  );
  console.log(
    `The driver moves chains by bursts. In a worker, each side polls (the device its rings, the driver its counter) for up to ${WORKER_POLL_US} µs before it sleeps`,
  );
  console.log(`(the default), or sleeps at once. Best of ${WORKER_RUNS}; the ratio is the worker, polling, to this thread.`);
  console.log(`GCs: garbage collections in this thread over the timed frames (two descriptors each), in each of the ${WORKER_RUNS} runs: with the device in this`);
  console.log('thread (driver, device and loopback), and with it in a worker polling (the driver alone, whose waits are promises).');
  row(['batch', 'in this thread', `worker, polling ${WORKER_POLL_US} µs`, 'worker, sleeping at once', 'GCs, device in this thread', "GCs, the driver's, device in a worker"]);
  row(Array(6).fill('---'));
  const better = (a: Figure | undefined, b: Figure) => (a === undefined || b.rate > a.rate ? b : a);
  // Over a million descriptors in this thread; fewer where a frame is a round trip between threads.
  const FRAMES_HERE = 600_000;
  for (const batch of [1, 32, 256]) {
    const inWorker = batch === 1 ? 100_000 : FRAMES_HERE;
    let here: Figure | undefined;
    let polled: Figure | undefined;
    let slept: Figure | undefined;
    // Every run's count, not only the fastest one's: a collection in any run is shown.
    const hereGcs: number[] = [];
    const polledGcs: number[] = [];
    for (let k = 0; k < WORKER_RUNS; k++) {
      const run = await loopbackRate(batch, FRAMES_HERE, 'in process');
      hereGcs.push(run.gcs);
      here = better(here, run);
      const inAWorker = await loopbackRate(batch, inWorker, { pollMicros: WORKER_POLL_US });
      polledGcs.push(inAWorker.gcs);
      polled = better(polled, inAWorker);
      slept = better(slept, await loopbackRate(batch, batch === 1 ? inWorker / 5 : inWorker, { pollMicros: 0 }));
    }
    const over = (gcs: number[], frames: number) => `${gcs.join(', ')} over ${(2 * frames).toLocaleString('en')} each`;
    row([String(batch), M(here, 2), `${M(polled, 2)} (${ratio(polled, here)})`, M(slept, 2), over(hereGcs, FRAMES_HERE), over(polledGcs, inWorker)]);
  }
}

// `rings.js [thread|instructions|worker|block]`: one part alone; all by default.
const PARTS = ['thread', 'instructions', 'worker', 'block'] as const;
const parts = scriptArgs({ name: 'rings.js', usage: `node --expose-gc dist/test/bench/rings.js [${PARTS.join('|')}]...` }, (args) => chosenParts(PARTS, args));
const wants = (part: (typeof PARTS)[number]) => parts.includes(part);
console.log(benchHost());
if (wants('thread')) sameThread();
if (wants('instructions')) await instructionTable();
if (wants('worker')) {
  await ringThreads();
  await workerThread();
}
if (wants('block')) await blockTable(WORKER_RUNS, row);
