// `uapigen generate [--manifest F] [--out DIR]`: writes the bindings; `uapigen check`:
// regenerates in memory and exits 1 with a diff if the folder differs.
import { parseArgs } from 'node:util';
import { diffGenerated, generateAll, writeGenerated } from '../generate.js';
import { UsageError } from './usage.js';
import { WarningPrinter } from './warnings.js';

function options(args: string[]) {
  try {
    return parseArgs({ args, options: { manifest: { type: 'string' }, out: { type: 'string' } } }).values;
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

export async function generateCommand(args: string[]): Promise<number> {
  const o = options(args);
  const g = await generateAll({ manifest: o.manifest, outDir: o.out });
  new WarningPrinter().print(g.warnings);
  const r = writeGenerated(g);
  process.stdout.write(`uapigen: ${g.files.size} files in ${g.outDir}: ${r.written.length} written, ${r.unchanged.length} unchanged, ${r.removed.length} stale removed\n`);
  for (const f of r.foreign) process.stderr.write(`uapigen: left ${f} alone: it is not a generated file\n`);
  return 0;
}

export async function checkCommand(args: string[]): Promise<number> {
  const o = options(args);
  const g = await generateAll({ manifest: o.manifest, outDir: o.out });
  new WarningPrinter().print(g.warnings);
  const { stale, diff } = diffGenerated(g);
  if (stale.length === 0) {
    process.stdout.write(`uapigen check: ${g.files.size} generated files are up to date\n`);
    return 0;
  }
  process.stdout.write(diff);
  process.stderr.write(`uapigen check: ${stale.length} file(s) differ from what the manifest generates: ${stale.join(', ')}\nrun \`${g.regenerate}\` (generated files are never edited by hand)\n`);
  return 1;
}
