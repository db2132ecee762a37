// `npm run bench` (ring part): descriptors per second through the split ring, driver and
// device in one thread, at batch sizes 1, 32 and 256; the C reference of the same protocol
// (test/bench/ring.c, compiled with gcc -O2 here) in the same run, and the ratio JS/C; and the
// heap over a million descriptors. Figures are printed, never asserted.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DmaArena } from '../helpers/rings.js';

const QUEUE = 256;
const TOTAL = 2_000_000;

function jsRate(batch: number, total: number): { rate: number; heapGrowth: number; gcHint: string } {
  const arena = new DmaArena(1 << 20);
  const { driver, device } = arena.queue<number>(QUEUE);
  const buf = arena.alloc(64);
  const readable = [{ iova: buf.iova, length: 64 }];
  const none: { iova: bigint; length: number }[] = [];
  let done = 0;
  const run = (n: number) => {
    let count = 0;
    while (count < n) {
      for (let b = 0; b < batch; b++) driver.add(readable, none);
      driver.publish();
      for (let c = device.pop(); c; c = device.pop()) device.push(c.head, 0);
      while (driver.getUsed()) count++;
    }
    return count;
  };
  run(100_000); // warm up
  global.gc?.();
  const heap0 = process.memoryUsage().heapUsed;
  const t0 = performance.now();
  done = run(total);
  const seconds = (performance.now() - t0) / 1000;
  const heapGrowth = process.memoryUsage().heapUsed - heap0;
  return { rate: done / seconds, heapGrowth, gcHint: global.gc ? 'after a forced GC' : 'run node with --expose-gc for a steadier figure' };
}

function cRate(batch: number, total: number): number | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'uapigen-ring-'));
  try {
    const exe = join(dir, 'ring');
    const cc = spawnSync('gcc', ['-O2', '-o', exe, join(process.cwd(), 'test', 'bench', 'ring.c')], { encoding: 'utf8' });
    if (cc.status !== 0) {
      console.log(`C reference not built: ${cc.stderr || cc.error?.message}`);
      return undefined;
    }
    const r = spawnSync(exe, [String(QUEUE), String(batch), String(total)], { encoding: 'utf8' });
    return r.status === 0 ? Number(r.stdout.split(' ')[0]) : undefined;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

console.log(`\n## Split ring, driver and device in one thread (queue ${QUEUE}, ${TOTAL} one-descriptor chains)`);
for (const batch of [1, 32, 256]) {
  const js = jsRate(batch, TOTAL);
  const c = cRate(batch, TOTAL * 10);
  const ratio = c ? ` ; C ${(c / 1e6).toFixed(1)} M/s; JS/C ${(js.rate / c).toFixed(2)} (target at least 0.5)` : '';
  console.log(`batch ${String(batch).padStart(3)}: JS ${(js.rate / 1e6).toFixed(2)} M descriptors/s${ratio}; heap +${(js.heapGrowth / 1024).toFixed(0)} KiB over the run (${js.gcHint})`);
}
