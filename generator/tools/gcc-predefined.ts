// `node dist/generator/tools/gcc-predefined.js`: writes generator/model/gcc-predefined.ts, the
// macros gcc predefines for each ABI, from the gcc on this machine. Run it when the gcc the
// model follows changes; test/unit/preprocess.test.ts fails while the table and gcc disagree.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../manifest.js';

const FLAGS = { x86_64: '-m64', i386: '-m32' } as const;

/** gcc's predefined macros for a flag, one `#define` line each, sorted by name (gcc prints them in hash order). */
export function gccPredefinedLines(flag: string): string[] {
  // An empty file: what gcc defines before any header, stdc-predef.h included as gcc includes it.
  const r = spawnSync('gcc', [flag, '-dM', '-E', '-x', 'c', '/dev/null'], { encoding: 'utf8', env: { ...process.env, LC_ALL: 'C' } });
  if (r.error || r.status !== 0) throw new Error(`gcc ${flag} -dM -E failed: ${r.error?.message ?? r.stderr}`);
  const name = (line: string) => /^#define ([A-Za-z0-9_]+)/.exec(line)?.[1] ?? line;
  return r.stdout.split('\n').filter((l) => l.startsWith('#define ')).sort((a, b) => (name(a) < name(b) ? -1 : name(a) > name(b) ? 1 : 0));
}

export function gccVersion(): string {
  return spawnSync('gcc', ['-dumpfullversion'], { encoding: 'utf8' }).stdout.trim();
}

function source(): string {
  const body = Object.entries(FLAGS)
    .map(([abi, flag]) => `  ${abi}: [\n${gccPredefinedLines(flag).map((l) => `    ${JSON.stringify(l)},`).join('\n')}\n  ].join('\\n'),`)
    .join('\n');
  return [
    `// Written by generator/tools/gcc-predefined.ts from gcc ${gccVersion()}: do not edit. What gcc`,
    '// predefines for each ABI (`gcc -m64|-m32 -dM -E` of an empty file), so that a header reads',
    '// here as it does under gcc: an #if on a macro gcc predefines and uapigen did not know was 0.',
    `export const GCC_VERSION = ${JSON.stringify(gccVersion())};`,
    '',
    'export const GCC_PREDEFINED: Record<\'x86_64\' | \'i386\', string> = {',
    body,
    '};',
    '',
  ].join('\n');
}

if (process.argv[1]?.endsWith('gcc-predefined.js')) {
  const out = join(PACKAGE_ROOT, 'generator', 'model', 'gcc-predefined.ts');
  writeFileSync(out, source());
  console.log(`wrote ${out} from gcc ${gccVersion()}`);
}
