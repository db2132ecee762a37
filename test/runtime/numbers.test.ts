// The runtime types in no ioctl number, flag value, errno or struct offset: every such number
// comes from generated/. This scans its source for numeric literals. What is allowed: 0 and 1
// (counting, empty values), and the files whose numbers are the runtime's or the simulated
// device's own choices (policy.ts, sim/parameters.ts) or the codec primitives' byte widths
// (codegen-v1.ts, which generated code is written against).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const n = suite('runtime numbers');
const ROOT = join(process.cwd(), 'runtime');
const OWN_NUMBERS = new Set(['codegen-v1.ts', 'policy.ts', join('sim', 'parameters.ts')]);

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((e) => {
    const p = join(dir, e);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** Source with comments, strings and regular expressions blanked out. */
function code(src: string): string {
  return src
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/\/\/[^\n]*/g, '')
    .replace(/'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*"|`(?:[^`\\]|\\.)*`/g, '""')
    .replace(/([(=,:!&|?{};]\s*)\/(?![*/])(?:[^/\\\n[]|\\.|\[(?:[^\]\\\n]|\\.)*\])+\/[gimsuy]*/g, '$1/re/');
}

n('no numeric literal in the runtime but 0 and 1, outside the files of its own choices', () => {
  const found: string[] = [];
  // runtime/demo is an example program: its numbers are its workload and how it prints figures.
  const scanned = files(ROOT).filter((f) => !OWN_NUMBERS.has(relative(ROOT, f)) && !relative(ROOT, f).startsWith('demo'));
  for (const f of scanned) {
    const lines = code(readFileSync(f, 'utf8')).split('\n');
    lines.forEach((line, k) => {
      for (const m of line.matchAll(/(?<![\w.$])(0x[0-9a-fA-F_]+n?|\d[\d_]*(?:\.\d+)?n?)(?![\w$])/g)) {
        if (!['0', '1', '0n', '1n'].includes(m[1])) found.push(`runtime/${relative(ROOT, f)}:${k + 1}: ${m[1]}`);
      }
    });
  }
  assert.ok(scanned.length > 10, `scanned ${scanned.length} files`);
  assert.equal(found, []);
});

n('the scan would catch a typed-in number', () => {
  const sample = code("const req = 15212; // VFIO_DEVICE_GET_REGION_INFO\nconst flags = 0x40;\nconst ok = /[A-Z0-9]/;\n");
  const hits = [...sample.matchAll(/(?<![\w.$])(0x[0-9a-fA-F_]+n?|\d[\d_]*(?:\.\d+)?n?)(?![\w$])/g)].map((m) => m[1]);
  assert.equal(hits, ['15212', '0x40']);
});

n.run();

const p = suite('package entry points');

p('the README\'s imports resolve: uapigen/runtime and uapigen/generated/<unit>.js', async () => {
  const runtime = await import('uapigen/runtime');
  const vfioVhost = await import('uapigen/generated/vfio_vhost.js');
  assert.is(typeof runtime.VfioVhostDevice, 'function');
  assert.is(typeof runtime.SimKernel, 'function');
  assert.is(vfioVhost.VFIO_DEVICE_API_VHOST_STRING, 'vfio-vhost');
  // The virtqueue API from the same entry: both ends, the devices, the worker-thread host.
  for (const name of ['SplitQueueDriver', 'SplitQueueDevice', 'Chain', 'NetLoopback', 'BlockRamDisk', 'ThreadedDevice', 'RingError', 'DriverRingError', 'QueueFullError', 'splitSizes', 'splitRingBytes', 'allocSplitRing', 'ringIovas', 'needEvent'] as const) {
    assert.is(typeof runtime[name], 'function', name);
  }
});

p.run();

const d = suite('import directions');

function imports(dir: string): { file: string; spec: string }[] {
  return files(dir).flatMap((f) => [...readFileSync(f, 'utf8').matchAll(/(?:from|import)\s*\(?\s*'([^']+)'/g)].map((m) => ({ file: relative(process.cwd(), f), spec: m[1] })));
}

d('runtime/ never imports generator/; generated/ imports only runtime/codegen-v1 and its sibling units', () => {
  const badRuntime = imports(ROOT).filter((i) => i.spec.includes('generator/'));
  assert.equal(badRuntime, []);
  const generated = imports(join(process.cwd(), 'generated')).filter((i) => !/^\.\/[a-z_]+\.js$/.test(i.spec) && i.spec !== '../runtime/codegen-v1.js');
  assert.equal(generated, []);
});

d('generator/ reaches the runtime only through its public entry, and only for `devices`', () => {
  const fromGenerator = imports(join(process.cwd(), 'generator')).filter((i) => i.spec.includes('runtime/'));
  assert.equal(fromGenerator, []);
  const src = readFileSync(join(process.cwd(), 'generator', 'commands', 'devices.ts'), 'utf8');
  assert.match(src, /await import\(new URL\('\.\.\/\.\.\/runtime\/index\.js', import\.meta\.url\)\.href\)/);
});

d.run();
