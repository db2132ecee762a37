// What a TypeScript project that installs uapigen sees: the package's entries (uapigen/runtime,
// uapigen/generated/<unit>.js) resolve through its exports map to declarations beside the
// built JavaScript. Without them a consumer's strict build stops at "could not find a
// declaration file", and the typed bindings are typed only inside this repository.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

const c = suite('a TypeScript consumer of the package');
const ROOT = process.cwd();
const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');

/** Type-checks `source` as main.ts of a project of its own with this package installed (linked) in it. */
function typeCheck(source: string): { status: number | null; out: string } {
  const dir = mkdtempSync(join(tmpdir(), 'uapigen-consumer-'));
  try {
    mkdirSync(join(dir, 'node_modules'));
    symlinkSync(ROOT, join(dir, 'node_modules', 'uapigen'), 'dir');
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
    const compilerOptions = {
      module: 'NodeNext',
      moduleResolution: 'NodeNext',
      target: 'ES2022',
      strict: true,
      noEmit: true,
      lib: ['ES2022', 'ES2024.SharedMemory'],
      typeRoots: [join(ROOT, 'node_modules', '@types')],
      types: ['node'],
    };
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions, files: ['main.ts'] }));
    writeFileSync(join(dir, 'main.ts'), source);
    const r = spawnSync(process.execPath, [TSC, '-p', dir], { encoding: 'utf8' });
    return { status: r.status, out: `${r.stdout}${r.stderr}` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const IMPORTS = `import { allocSplitRing, SplitQueueDriver } from 'uapigen/runtime';
import { VFIO_DEVICE_API_VHOST_STRING } from 'uapigen/generated/vfio_vhost.js';
import { vfio_region_info } from 'uapigen/generated/vfio.js';
`;

c('the README\'s imports type-check from outside the repository, with the types they have inside it', () => {
  const good = typeCheck(`${IMPORTS}
const ring = allocSplitRing(64, (size: number) => ({ iova: 0n, bytes: new Uint8Array(size) }));
const driver = new SplitQueueDriver<string>(64, ring, false);
export const api: string = VFIO_DEVICE_API_VHOST_STRING;
export const free: number = driver.free;
export const size: number = vfio_region_info.size;
`);
  assert.is(good.status, 0, good.out);
  // Types, not a declaration that makes everything \`any\`: a wrong use is an error.
  const bad = typeCheck(`${IMPORTS}
export const api: number = VFIO_DEVICE_API_VHOST_STRING;
`);
  assert.is.not(bad.status, 0, 'a string constant taken as a number was accepted');
  assert.match(bad.out, /main\.ts\(\d+,\d+\): error TS2322: Type 'string' is not assignable to type 'number'/);
});

c.run();
