// Runs every *.test.js under dist/test with uvu, then prints the closing line CI reads:
// `N passed, N failed, N skipped`. Exits non-zero when a test failed or none ran.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const uvuBin = join(here, '..', '..', 'node_modules', 'uvu', 'bin.js');
// Colour only for a person at a terminal; CI logs stay plain.
const colour = process.stdout.isTTY ? [] : ['--no-color'];
const r = spawnSync(process.execPath, [uvuBin, here, '\\.test\\.js$', ...colour], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
const out = r.stdout ?? '';
process.stdout.write(out);
const num = (label: string) => Number(new RegExp(`${label}:\\s+(\\d+)`).exec(out.replace(/\x1b\[[0-9;]*m/g, ''))?.[1] ?? 0);
const total = num('Total');
const passed = num('Passed');
const skipped = num('Skipped');
const failed = Math.max(0, total - passed - skipped) + (r.status !== 0 && total === passed + skipped ? 1 : 0);
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exitCode = failed > 0 || passed === 0 ? 1 : 0;
