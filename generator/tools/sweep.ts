// `npm run sweep`: model and verify over every /usr/include/linux/*.h, per ABI, then the
// bindings of every header read generated and type-checked (sweep-bindings.ts). Prints figures
// (headers gcc accepts alone, read, verified, checks made, files that compile) and what failed
// and why. It is a survey, not a test: it exits 0 whatever it finds.
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { DiagnosticError, formatDiagnostic } from '../diagnostics.js';
import { ABI_NAMES, ABIS, AbiName } from '../model/abi.js';
import { buildModel } from '../pipeline.js';
import { FileCache } from '../preprocess/preprocessor.js';
import { verifyModel } from '../verify/verify.js';
import { chosenParts, scriptArgs } from './script-args.js';
import { sweepBindings } from './sweep-bindings.js';

const DIR = '/usr/include/linux';

function gccAccepts(abi: AbiName, header: string): Promise<boolean> {
  return new Promise((done) => {
    const p = spawn('gcc', [ABIS[abi].gccFlag, '-fsyntax-only', '-w', '-x', 'c', '-'], { stdio: ['pipe', 'ignore', 'ignore'] });
    p.on('close', (code) => done(code === 0));
    p.on('error', () => done(false));
    p.stdin.end(`#include <${header}>\n`);
  });
}

async function pool<T, R>(items: T[], width: number, f: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) {
        const k = next++;
        out[k] = await f(items[k]);
      }
    }),
  );
  return out;
}

async function main(): Promise<void> {
  const abis = scriptArgs({ name: 'sweep', usage: `npm run sweep [${ABI_NAMES.join('|')}]...` }, (args) => chosenParts(ABI_NAMES, args));
  const headers = readdirSync(DIR)
    .filter((f) => f.endsWith('.h'))
    .sort()
    .map((f) => `linux/${f}`);
  /** Headers read on every ABI swept: those a unit can be generated from. */
  let readEverywhere = new Set(headers);
  for (const abi of abis) {
    const t0 = performance.now();
    const accepted = await pool(headers, 2, (h) => gccAccepts(abi, h));
    const cache = new FileCache();
    let verified = 0;
    const counts = { constants: 0, strings: 0, records: 0, offsets: 0, enumerators: 0, bitfields: 0 };
    const readHere = new Set<string>();
    const readFailures: string[] = [];
    const verifyFailures: string[] = [];
    let readMs = 0;
    headers.forEach((h, k) => {
      if (!accepted[k]) return;
      let model;
      const r0 = performance.now();
      try {
        model = buildModel([h], { abi, cache });
      } catch (e) {
        if (!(e instanceof DiagnosticError)) throw e;
        readFailures.push(`${h}: ${formatDiagnostic(e.diagnostics[0]).split('\n')[0]}`);
        return;
      } finally {
        readMs += performance.now() - r0;
      }
      readHere.add(h);
      const report = verifyModel(model, [h], []);
      counts.constants += report.checked.constant;
      counts.strings += report.checked.string;
      counts.records += report.checked.size;
      counts.offsets += report.checked.offset;
      counts.enumerators += report.checked.enumerator;
      counts.bitfields += report.checked.bitfield;
      if (report.ok) verified++;
      else verifyFailures.push(report.text.trimEnd().split('\n').slice(0, 4).join('\n'));
    });
    const nAccepted = accepted.filter(Boolean).length;
    const pct = (n: number) => `${((100 * n) / Math.max(1, nAccepted)).toFixed(1)}%`;
    console.log(`== ${abi}`);
    console.log(`headers in ${DIR}: ${headers.length}; gcc accepts alone: ${nAccepted}`);
    console.log(`read by uapigen: ${readHere.size} (${pct(readHere.size)}); verify against gcc: ${verified} (${pct(verified)})`);
    console.log(`checked: ${counts.constants} constants, ${counts.strings} strings, ${counts.enumerators} enumerators, ${counts.records} records, ${counts.offsets} field offsets, ${counts.bitfields} bit-fields`);
    console.log(`read stage: ${readMs.toFixed(0)} ms in all; sweep took ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    for (const f of readFailures) console.log(`  not read: ${f}`);
    for (const f of verifyFailures) console.log(`  not verified: ${f}`);
    readEverywhere = new Set([...readEverywhere].filter((h) => readHere.has(h)));
  }
  await sweepBindings([...readEverywhere]);
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exitCode = 1;
});
