// `npm run fuzz [-- --cases N --seed S]`: feeds mutated versions of real UAPI headers through
// the model. Every case must end in a model or in diagnostics that carry a location; none
// may throw anything else or run over 2 s. Cases run in a worker watched by this thread, so
// a hang is caught and counted, not waited for. Prints the counts; exits 1 on any failure.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { FileCache } from '../../generator/preprocess/preprocessor.js';
import { casesAndSeed, scriptArgs } from '../../generator/tools/script-args.js';
import { mutate, rng } from './mutate.js';
import { Outcome, runCase } from './run-case.js';

export const SEED_HEADERS = ['vfio.h', 'vhost.h', 'vhost_types.h', 'virtio_ring.h', 'virtio_net.h', 'virtio_blk.h', 'vduse.h', 'input.h'].map((h) => `/usr/include/linux/${h}`);
const LIMIT_MS = 2000;

interface CaseReport {
  index: number;
  outcome: Outcome;
  ms: number;
  how: string;
  detail?: string;
}

function caseFor(seed: number, index: number, sources: string[]) {
  const random = rng(seed * 1_000_003 + index);
  const src = Math.floor(random() * sources.length);
  let { text, how } = mutate(sources[src], random);
  // Half of the cases stack a second mutation on the first.
  if (random() < 0.5) {
    const second = mutate(text, random);
    text = second.text;
    how += `; ${second.how}`;
  }
  return { text, how: `${SEED_HEADERS[src]}: ${how}` };
}

function workerMain(): void {
  const { seed, from, to } = workerData as { seed: number; from: number; to: number };
  const sources = SEED_HEADERS.map((p) => readFileSync(p, 'utf8'));
  const cache = new FileCache();
  for (let index = from; index < to; index++) {
    const { text, how } = caseFor(seed, index, sources);
    const t0 = performance.now();
    const r = runCase(cache, `case-${index}.h`, text);
    parentPort!.postMessage({ index, outcome: r.outcome, ms: performance.now() - t0, how, detail: r.detail } satisfies CaseReport);
  }
}

export interface FuzzSummary {
  cases: number;
  counts: Record<Outcome | 'hang' | 'slow', number>;
  failures: CaseReport[];
  slowestMs: number;
}

/** Runs cases [0, n) in a watched worker; restarts it past a hang. */
export function fuzz(n: number, seed: number, onProgress?: (done: number) => void): Promise<FuzzSummary> {
  const counts = { model: 0, diagnostic: 0, 'diagnostic-without-location': 0, crash: 0, hang: 0, slow: 0 };
  const failures: CaseReport[] = [];
  let slowestMs = 0;
  let next = 0;
  return new Promise((done) => {
    const start = () => {
      if (next >= n) return done({ cases: n, counts, failures, slowestMs });
      const w = new Worker(fileURLToPath(import.meta.url), { workerData: { seed, from: next, to: n } });
      let timer = setTimeout(onHang, LIMIT_MS * 2);
      function onHang() {
        counts.hang++;
        failures.push({ index: next, outcome: 'crash', ms: LIMIT_MS * 2, how: caseDescription(next), detail: 'no answer: hang' });
        next++;
        void w.terminate();
      }
      w.on('message', (r: CaseReport) => {
        clearTimeout(timer);
        timer = setTimeout(onHang, LIMIT_MS * 2);
        counts[r.outcome]++;
        slowestMs = Math.max(slowestMs, r.ms);
        if (r.ms > LIMIT_MS) {
          counts.slow++;
          failures.push({ ...r, detail: `took ${r.ms.toFixed(0)} ms` });
        } else if (r.outcome === 'crash' || r.outcome === 'diagnostic-without-location') failures.push(r);
        next = r.index + 1;
        if (next % 1000 === 0) onProgress?.(next);
      });
      w.on('exit', () => {
        clearTimeout(timer);
        start();
      });
      w.on('error', (e) => {
        counts.crash++;
        failures.push({ index: next, outcome: 'crash', ms: 0, how: caseDescription(next), detail: String(e) });
        next++;
      });
    };
    const sources = SEED_HEADERS.map((p) => readFileSync(p, 'utf8'));
    const caseDescription = (i: number) => caseFor(seed, i, sources).how;
    start();
  });
}

export function report(s: FuzzSummary, seed: number): string {
  const c = s.counts;
  const lines = [
    `fuzz: ${s.cases} mutated headers (seed ${seed}): ${c.model} models, ${c.diagnostic} diagnostics with a location, ` +
      `${c['diagnostic-without-location']} diagnostics without one, ${c.crash} uncaught exceptions, ${c.hang} hangs, ${c.slow} over 2 s; slowest ${s.slowestMs.toFixed(0)} ms`,
  ];
  for (const f of s.failures.slice(0, 10)) lines.push(`  case ${f.index} (${f.how}): ${f.outcome}: ${(f.detail ?? '').split('\n').slice(0, 3).join(' | ')}`);
  return lines.join('\n');
}

async function main(): Promise<void> {
  const { cases: n, seed } = scriptArgs({ name: 'header-mutations.js', usage: 'node dist/test/fuzz/header-mutations.js [--cases N] [--seed S]' }, (args) =>
    casesAndSeed({ cases: 10_000, seed: 1 }, args),
  );
  const s = await fuzz(n, seed, (d) => process.stderr.write(`  ${d} cases\r`));
  process.stderr.write('\r' + ' '.repeat(20) + '\r');
  console.log(report(s, seed));
  process.exitCode = s.failures.length ? 1 : 0;
}

if (!isMainThread) workerMain();
else if (process.argv[1] === fileURLToPath(import.meta.url)) void main();
