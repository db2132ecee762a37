// `npm run bench`: speed figures, printed, never asserted. Each benchmark says what it
// measures, the figure, and where there is one, the target and the ratio to a reference
// measured in the same run.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../manifest.js';
import { diffPairs, pairsOf, patchedPair } from '../diff/run.js';
import { DiagnosticError } from '../diagnostics.js';
import { AbiName, ABI_NAMES, ABIS } from '../model/abi.js';
import { buildModel, StageTiming } from '../pipeline.js';
import { FileCache } from '../preprocess/preprocessor.js';
import { generateAll } from '../generate.js';
import { chosenParts, scriptArgs } from './script-args.js';
import { benchHost } from './bench-host.js';

const FAMILY = ['vfio.h', 'vfio_ccw.h', 'vfio_zdev.h', 'vhost.h', 'vhost_types.h', 'vduse.h', 'virtio_ring.h', 'virtio_config.h',
  'virtio_ids.h', 'virtio_net.h', 'virtio_blk.h', 'virtio_pci.h', 'virtio_types.h', 'kvm.h', 'input.h'].map((h) => `linux/${h}`);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function readFamily(abi: AbiName, cache?: FileCache, timings?: StageTiming[]): void {
  for (const h of FAMILY) buildModel([h], { abi, cache }, timings);
}

function benchFamily(): void {
  console.log(`\n## Reading the virtualization family (${FAMILY.length} headers), warm`);
  for (const abi of ABI_NAMES) {
    for (let k = 0; k < 3; k++) readFamily(abi); // warm the JIT
    const cold: number[] = [];
    const cached: number[] = [];
    const shared = new FileCache();
    readFamily(abi, shared);
    const stages = new Map<string, number>();
    for (let k = 0; k < 10; k++) {
      let t0 = performance.now();
      readFamily(abi);
      cold.push(performance.now() - t0);
      const timings: StageTiming[] = [];
      t0 = performance.now();
      readFamily(abi, shared, timings);
      cached.push(performance.now() - t0);
      for (const t of timings) stages.set(t.stage, (stages.get(t.stage) ?? 0) + t.ms / 10);
    }
    const perStage = [...stages].map(([s, ms]) => `${s} ${ms.toFixed(1)}`).join(', ');
    console.log(`${abi}: ${median(cold).toFixed(0)} ms (files lexed afresh), ${median(cached).toFixed(0)} ms (lexed files cached); target under 300 ms`);
    console.log(`  per stage, cached, ms: ${perStage}`);
  }
}

function benchSweepRead(): void {
  const headers = readdirSync('/usr/include/linux').filter((f) => f.endsWith('.h')).sort().map((f) => `linux/${f}`);
  console.log(`\n## Read stage of the sweep vs gcc -fsyntax-only, one process per header (${headers.length} headers)`);
  for (const abi of ABI_NAMES) {
    const accepted: string[] = [];
    let gccMs = 0;
    for (const h of headers) {
      const t0 = performance.now();
      const r = spawnSync('gcc', [ABIS[abi].gccFlag, '-fsyntax-only', '-w', '-x', 'c', '-'], { input: `#include <${h}>\n`, stdio: ['pipe', 'ignore', 'ignore'] });
      const ms = performance.now() - t0;
      if (r.status === 0) {
        accepted.push(h);
        gccMs += ms;
      }
    }
    const cache = new FileCache();
    let ours = 0;
    let read = 0;
    const t0 = performance.now();
    for (const h of accepted) {
      try {
        buildModel([h], { abi, cache });
        read++;
      } catch (e) {
        if (!(e instanceof DiagnosticError)) throw e;
      }
    }
    ours = performance.now() - t0;
    console.log(
      `${abi}: uapigen ${ours.toFixed(0)} ms for ${read}/${accepted.length} headers (preprocess, parse, layout, constants, semantics); ` +
        `gcc -fsyntax-only ${gccMs.toFixed(0)} ms; ratio uapigen/gcc ${(ours / gccMs).toFixed(2)} (target under 1.0)`,
    );
  }
}

async function benchGenerate(): Promise<void> {
  console.log('\n## Generating every unit of uapi/manifest.json (in memory), warm');
  for (let k = 0; k < 2; k++) await generateAll(); // warm the JIT, prettier and ts-morph
  const totals: number[] = [];
  const stages = { read: 0, model: 0, emit: 0, format: 0 };
  const runs = 5;
  let files = 0;
  for (let k = 0; k < runs; k++) {
    const t0 = performance.now();
    const g = await generateAll();
    totals.push(performance.now() - t0);
    files = g.files.size;
    for (const key of Object.keys(stages) as (keyof typeof stages)[]) stages[key] += g.stages[key] / runs;
  }
  console.log(`${files} files: ${median(totals).toFixed(0)} ms (median of ${runs}); target under 2000 ms`);
  console.log(`  per stage, ms: ${Object.entries(stages).map(([s, ms]) => `${s} ${ms.toFixed(0)}`).join(', ')}`);
}

/** Two versions of the family: as shipped, and with the seed RFC's vfio.h hunks applied. */
function benchDiff(): void {
  console.log(`\n## Diffing two versions of the virtualization family (${FAMILY.length} headers, both ABIs), warm`);
  const root = mkdtempSync(join(tmpdir(), 'uapigen-bench-diff-'));
  for (const side of ['old', 'new']) {
    mkdirSync(join(root, side, 'linux'), { recursive: true });
    for (const h of [...FAMILY, 'linux/input-event-codes.h']) copyFileSync(`/usr/include/${h}`, join(root, side, h));
  }
  const seed = join(PACKAGE_ROOT, '..', 'shared', 'seeds', '000_4f611f6a2e78219a.txt');
  const notes: string[] = [];
  const patched = patchedPair('linux/vfio.h', seed, [], notes);
  copyFileSync(patched.new!.header, join(root, 'new', 'linux', 'vfio.h'));
  const run = (cache: FileCache) => diffPairs(pairsOf(join(root, 'old'), join(root, 'new'), []), [...ABI_NAMES], 'old', 'new', [], cache);
  for (let k = 0; k < 2; k++) run(new FileCache());
  const fresh: number[] = [];
  const cached: number[] = [];
  const shared = new FileCache();
  let findings = 0;
  for (let k = 0; k < 5; k++) {
    let t0 = performance.now();
    findings = run(new FileCache()).findings.length;
    fresh.push(performance.now() - t0);
    t0 = performance.now();
    run(shared);
    cached.push(performance.now() - t0);
  }
  console.log(`${findings} findings: ${median(fresh).toFixed(0)} ms (files lexed afresh), ${median(cached).toFixed(0)} ms (lexed files cached), median of 5; target under 1000 ms`);
}

const BENCHMARKS: Record<string, () => void | Promise<void>> = { family: benchFamily, generate: benchGenerate, diff: benchDiff, sweep: benchSweepRead };

const names = Object.keys(BENCHMARKS);
const chosen = scriptArgs({ name: 'bench', usage: `node dist/generator/tools/bench.js [${names.join('|')}]...` }, (args) => chosenParts(names, args));
console.log(`uapigen bench, ${benchHost()}`);
for (const name of chosen) await BENCHMARKS[name]();
