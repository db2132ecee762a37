// `npm run sweep`'s last part: the bindings of every header the sweep read, generated as a
// project that installed uapigen generates them (a unit per header, both ABIs) and
// type-checked with strict TypeScript. What a header's model holds is proved against gcc by the
// sweep's verify; this shows the code emitted from it compiles (two families once came out
// with one name). A survey like the rest of the sweep: it prints, and never fails the run.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DiagnosticError, formatDiagnostic } from '../diagnostics.js';
import { generateAll } from '../generate.js';
import { PACKAGE_ROOT } from '../manifest.js';
import { FileCache } from '../preprocess/preprocessor.js';
import { scratchDir } from '../scratch.js';

const TSC = join(PACKAGE_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
/** The first errors shown per file; the count says how many there were. */
const SHOWN = 2;

/** A unit name for an include name: `linux/if_tun.h` -> `linux_if_tun`. */
const unitName = (header: string) => header.replace(/\.h$/, '').replace(/[^A-Za-z0-9]+/g, '_');

export async function sweepBindings(headers: string[]): Promise<void> {
  const t0 = performance.now();
  const dir = scratchDir('sweep-bindings');
  mkdirSync(join(dir, 'node_modules'));
  symlinkSync(PACKAGE_ROOT, join(dir, 'node_modules', 'uapigen'), 'dir');
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'sweep', private: true, type: 'module' }));
  const out = join(dir, 'generated');
  const cache = new FileCache();
  const notGenerated: string[] = [];
  let generated = 0;
  for (const header of headers) {
    const name = unitName(header);
    const unitDir = join(dir, 'units', name);
    mkdirSync(unitDir, { recursive: true });
    writeFileSync(join(unitDir, 'manifest.json'), JSON.stringify({ units: [{ name, headers: [header] }] }));
    try {
      const g = await generateAll({ manifest: join(unitDir, 'manifest.json'), outDir: out, cache });
      mkdirSync(out, { recursive: true });
      writeFileSync(join(out, `${name}.ts`), g.files.get(`${name}.ts`)!);
      generated++;
    } catch (e) {
      if (!(e instanceof DiagnosticError)) throw e;
      notGenerated.push(`${header}: ${formatDiagnostic(e.diagnostics[0]).split('\n')[0]}`);
    }
  }
  const genSeconds = (performance.now() - t0) / 1000;
  console.log(`== bindings`);
  console.log(`generated: ${generated} of ${headers.length} headers, a unit each, x86_64 and i386 (${genSeconds.toFixed(1)} s)`);
  for (const f of notGenerated) console.log(`  not generated: ${f}`);
  if (!existsSync(TSC)) {
    console.log(`type-check skipped: ${TSC} is not installed (npm ci installs it)`);
    return;
  }
  const compilerOptions = { module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', strict: true, noEmit: true, types: [] };
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions, include: ['generated/*.ts'] }));
  const t1 = performance.now();
  // From the project's folder, so that tsc names files as generated/<unit>.ts.
  const r = spawnSync(process.execPath, [TSC, '-p', '.'], { cwd: dir, encoding: 'utf8', maxBuffer: 64 << 20 });
  const errors = new Map<string, string[]>();
  for (const line of `${r.stdout}${r.stderr}`.split('\n')) {
    const m = /^generated\/([^(]+)\(\d+,\d+\): error /.exec(line);
    if (m) errors.set(m[1], [...(errors.get(m[1]) ?? []), line]);
  }
  const clean = generated - errors.size;
  console.log(`type-check (strict): ${clean} of ${generated} files clean (tsc ${((performance.now() - t1) / 1000).toFixed(1)} s)`);
  if (r.status !== 0 && errors.size === 0) console.log(`  tsc exited ${r.status}: ${(r.stdout + r.stderr).trim().split('\n').slice(0, 4).join('\n  ')}`);
  for (const [file, lines] of errors) {
    console.log(`  ${file}: ${lines.length} error${lines.length === 1 ? '' : 's'}`);
    for (const l of lines.slice(0, SHOWN)) console.log(`    ${l}`);
  }
}
