// `npm run golden:update`: regenerates the expected output of every golden scenario.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { generateAll, writeGenerated } from '../../generator/generate.js';

export const GOLDEN = join(process.cwd(), 'test', 'golden');

export function scenarios(): string[] {
  return readdirSync(GOLDEN).filter((d) => statSync(join(GOLDEN, d)).isDirectory()).sort();
}

async function main(): Promise<void> {
  for (const s of scenarios()) {
    const g = await generateAll({ manifest: join(GOLDEN, s, 'manifest.json'), outDir: join(GOLDEN, s, 'expected') });
    const r = writeGenerated(g);
    console.log(`${s}: ${r.written.length} written, ${r.unchanged.length} unchanged`);
  }
}

if (process.argv[1]?.endsWith('update.js')) void main();
