// The ring bench's own parts, run small: `npm run bench` is not part of `npm test`, so a case
// that broke, or a C reference that stopped moving every descriptor, would otherwise be found
// only by the next person to read its figures. Rates are not asserted (tests never time
// anything); that each part runs, moves every descriptor and reports a figure is.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { buildRingC, type RingC } from '../bench/ring-c.js';
import { instructionsPerDescriptor, nodeInstructionsByFunction, valgrindMissing } from '../bench/ring-instructions.js';
import { BUFFER, RING_CASES } from '../bench/ring-cases.js';
import { blockRate } from '../bench/block.js';
import { ringThreadsRate } from '../bench/ring-threads.js';
import { WORKER_POLL_US } from '../../runtime/policy.js';

const b = suite('ring bench parts');
const here = dirname(fileURLToPath(import.meta.url));
const CASE_SCRIPT = join(here, '..', 'bench', 'ring-case.js');
const QUEUE = 256;
const DESCRIPTORS = 10_000;

b('every JS case runs at batch 1 and 32 and prints a rate and a GC count', () => {
  for (const which of RING_CASES)
    for (const batch of [1, 32]) {
      const r = spawnSync(process.execPath, ['--expose-gc', CASE_SCRIPT, which, String(QUEUE), String(batch), String(DESCRIPTORS)], { encoding: 'utf8', timeout: 60_000 });
      // Each case checks its own work (the runtime's chains read whole, the loops' checksums) and exits non-zero when it lost any.
      assert.is(r.status, 0, `${which} at batch ${batch}: exit ${r.status}: ${r.stderr}`);
      assert.match(r.stdout, /^[1-9]\d* \d+\n$/, `${which} at batch ${batch} printed ${JSON.stringify(r.stdout)}`);
    }
});

b('the block part runs at batch 1 and 32, every request answered OK, and reports a rate', async () => {
  // blockRate throws when the disk answers fewer than a batch or a request does not end OK.
  for (const batch of [1, 32]) {
    const f = await blockRate(batch, 640);
    assert.ok(f.rate > 0 && Number.isFinite(f.rate), `batch ${batch}: rate ${f.rate}`);
    assert.ok(Number.isInteger(f.gcs), `batch ${batch}: ${f.gcs} GCs`);
  }
});

b('the two-thread ring runs at batch 1, 32 and 256, polling and sleeping at once, and reports a rate', async () => {
  // ringThreadsRate throws when the device thread stalls, breaks the ring or reads a buffer short.
  for (const pollMicros of [WORKER_POLL_US, 0])
    for (const batch of [1, 32, 256]) {
      const { rate, driverGcs, deviceGcs } = await ringThreadsRate(QUEUE, batch, 2048, pollMicros);
      assert.ok(rate > 0 && Number.isFinite(rate), `batch ${batch}, polling ${pollMicros} µs: rate ${rate}`);
      // Counts, not zero: whether a short run collects depends on what ran before it.
      assert.ok(Number.isInteger(driverGcs) && Number.isInteger(deviceGcs), `batch ${batch}: ${driverGcs}/${deviceGcs} GCs`);
    }
});

b('a case run with bad arguments says how to run it and exits 2', () => {
  const r = spawnSync(process.execPath, [CASE_SCRIPT, 'fastest', String(QUEUE), '1', '10'], { encoding: 'utf8' });
  assert.is(r.status, 2);
  assert.match(r.stderr, /usage: ring-case\.js bursts\|/);
});

/** ring.c built for one test and removed after it; a build that fails fails the test, with what gcc said. */
async function withRingC(use: (c: RingC) => void | Promise<void>): Promise<void> {
  const c = buildRingC();
  if ('error' in c) return assert.unreachable(`gcc: ${c.error}`);
  try {
    await use(c);
  } finally {
    c.done();
  }
}

/** Fails the test, saying what to install, when valgrind is not there: the count is a test of its own, not one to skip. */
function needValgrind(): void {
  const missing = valgrindMissing();
  if (missing !== undefined) assert.unreachable(missing);
}

b('ring.c builds with gcc -O2 -Wall -Werror and each of its devices sees every descriptor whole, in one thread and in two', () =>
  withRingC((c) => {
    for (const mode of ['checked', 'minimal', 'threads'] as const)
      for (const batch of [1, 32, 256]) {
        const r = c.run(mode, QUEUE, batch, DESCRIPTORS);
        assert.ok(r !== undefined, `ring ${mode} at batch ${batch} failed`);
        // Whole rounds of `batch`, each descriptor a BUFFER-byte buffer read by the device.
        assert.is(r.checksum, Math.ceil(DESCRIPTORS / batch) * batch * BUFFER, `ring ${mode} at batch ${batch}`);
      }
    assert.is(spawnSync(c.exe, ['checked', '0', '1', '1']).status, 1, 'a queue size of 0 is refused');
  }),
);

b('the instruction count: ring.c checked counted over runs of different lengths gives one figure per descriptor, and more work counts more', () => {
  needValgrind();
  return withRingC(async (c) => {
    const count = (mode: string, small: number, large: number) => instructionsPerDescriptor((n) => [c.exe, mode, String(QUEUE), '32', String(n)], small, large);
    const [first, second, minimal] = await Promise.all([count('checked', 20_000, 60_000), count('checked', 5_000, 15_000), count('minimal', 20_000, 60_000)]);
    assert.ok(Number.isFinite(first) && first > 0, `checked: ${first} instructions per descriptor`);
    // A descriptor's count, whatever the runs' lengths: start-up (a million instructions) must
    // fall out, or the shorter runs would count 70 more a descriptor.
    assert.ok(Math.abs(first - second) <= first / 100, `checked counted ${first} over runs of 20,000 and 60,000 descriptors, ${second} over 5,000 and 15,000`);
    // minimal skips the checks, the translation and the bookkeeping: a count blind to the work would not see it.
    assert.ok(minimal < first / 2, `minimal ${minimal}, checked ${first}`);
  });
});

b("the instruction count by function: a JS case's functions add up to its total, the runtime's burst methods named with their share, no perf map left behind", async () => {
  needValgrind();
  const r = await nodeInstructionsByFunction((n) => ['--single-threaded', '--expose-gc', CASE_SCRIPT, 'bursts', String(QUEUE), '32', String(n)], 100_000, 300_000);
  const sum = r.byFunction.reduce((total, [, n]) => total + n, 0);
  // Only functions under one instruction a descriptor are left out; a split that counted a call's
  // inclusive cost where it was made, or lost code to no function, would miss by far more.
  assert.ok(Math.abs(sum - r.perDescriptor) <= r.perDescriptor / 100, `the functions add up to ${sum}, the run to ${r.perDescriptor}`);
  const named = new Map(r.byFunction);
  // The three the engine leaves as calls (bytecode over its inlining limit); pushBurst and chainOf inline into the case's loop.
  for (const f of ['popBurst (device-queue.js)', 'addBurst (driver-queue.js)', 'popUsedBurst (driver-queue.js)'])
    assert.ok((named.get(f) ?? 0) > 50, `${f}: ${named.get(f)} of ${JSON.stringify(r.byFunction)}`);
  // The runs' own maps, by their node's process id: a count of /tmp's maps would also see another
  // node's, run with --perf-basic-prof at the same moment.
  assert.is(r.perfMaps.length, 2);
  for (const map of r.perfMaps) assert.not.ok(existsSync(map), `${map} left behind`);
});

b('an instruction count of a program that fails is an error with its exit status, not a figure', () => {
  needValgrind();
  // A queue of 0 is refused by ring.c with exit 1.
  return withRingC((c) =>
    instructionsPerDescriptor((n) => [c.exe, 'checked', '0', '1', String(n)], 10, 20).then(
      (n) => assert.unreachable(`counted ${n}`),
      (e: Error) => assert.match(e.message, /exit 1/),
    ),
  );
});

b.run();
