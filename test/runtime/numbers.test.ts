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
  const scanned = files(ROOT).filter((f) => !OWN_NUMBERS.has(relative(ROOT, f)));
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
