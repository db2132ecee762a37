// Verification of a model against gcc: runs the probe, explains each mismatch with gcc's
// own value, and counts what was checked.
import { Constant, Model } from '../model/model.js';
import { buildChecks, Check, stringArray } from './checks.js';
import { askGccBitFields, askGccStrings, askGccValues, runProbe } from './gcc-probe.js';

export interface VerifyReport {
  ok: boolean;
  checked: Record<Check['kind'] | 'bitfield', number>;
  mismatches: { check: Check; gcc: string; message: string }[];
  otherErrors: string[];
  text: string;
}

export function verifyModel(model: Model, headers: string[], includeDirs: string[]): VerifyReport {
  const { checks, bitFields } = buildChecks(model);
  const probe = runProbe(model.abi, headers, includeDirs, checks);
  const failed = [...probe.failures.keys()].sort((a, b) => a - b);
  const gccValues = failed.length ? askGccValues(model.abi, headers, includeDirs, failed.map((k) => checks[k])) : new Map<number, string>();
  const mismatches = failed.map((k, i) => ({ check: checks[k], gcc: gccValues.get(i) ?? '?', message: probe.failures.get(k)! }));
  const checked = { constant: 0, string: 0, size: 0, align: 0, offset: 0, enumerator: 0, bitfield: bitFields.length };
  for (const c of checks) checked[c.kind]++;
  if (bitFields.length) {
    const gccBits = askGccBitFields(model.abi, headers, includeDirs, bitFields);
    bitFields.forEach((f, k) => {
      const g = gccBits.get(k);
      const want = `bit ${f.bitOffset} width ${f.bitWidth}`;
      if (typeof g === 'string' || !g) mismatches.push({ check: { label: f.label, kind: 'offset', expr: '', expected: BigInt(f.bitOffset) }, gcc: g ?? 'no answer', message: want });
      else if (g.bitOffset !== f.bitOffset || g.bitWidth !== f.bitWidth) {
        mismatches.push({ check: { label: f.label, kind: 'offset', expr: '', expected: BigInt(f.bitOffset) }, gcc: `bit ${g.bitOffset} width ${g.bitWidth}`, message: want });
      }
    });
  }
  // A string whose type and size agree with gcc's: are its bytes gcc's too?
  const strings = model.constants.filter((c) => c.kind === 'string' && c.units && !mismatches.some((m) => m.check.kind === 'string' && m.check.label === c.name));
  if (strings.length) {
    const gccBytes = askGccStrings(model.abi, headers, includeDirs, strings.map((c) => ({ name: c.name, element: stringArray(model, c).element })));
    strings.forEach((c, k) => {
      const want = stringBytes(model, c);
      const got = gccBytes.get(k);
      if (typeof got !== 'string' && got !== undefined && got.length === want.length && got.every((b, i) => b === want[i])) return;
      const check: Check = { label: c.name, kind: 'string', expr: '', expected: 0n };
      mismatches.push({ check, gcc: typeof got === 'string' ? got : got ? `bytes ${hexBytes(got)}` : 'no answer', message: `bytes ${hexBytes(want)}` });
    });
  }
  const ok = mismatches.length === 0 && probe.otherErrors.length === 0;
  const names = model.headers.map((h) => h.displayPath).join(', ');
  const lines = [
    `${names} (${model.abi.name}): ${ok ? 'OK' : 'MISMATCH'}: ${checked.constant} constants, ${checked.string} strings, ${checked.enumerator} enumerators, ` +
      `${model.records.length} records (${checked.size} sizes, ${checked.align} alignments, ${checked.offset} field offsets, ${checked.bitfield} bit-fields) checked against gcc`,
  ];
  for (const m of mismatches) {
    const model =
      m.check.expr === '' ? m.message
      : m.check.kind === 'string' ? `${m.check.type} of ${m.check.expected} bytes` // and gcc's answer is its sizeof
      : m.check.type ? `${m.check.type} ${m.check.expected}`
      : String(m.check.expected);
    const gcc = m.check.kind === 'string' && m.check.expr !== '' ? `${m.gcc.split(' ').pop()} bytes` : m.gcc;
    lines.push(`  mismatch: ${m.check.label}: model ${model}, gcc ${gcc}`);
  }
  for (const e of probe.otherErrors) lines.push(`  gcc: ${e}`);
  return { ok, checked, mismatches, otherErrors: probe.otherErrors, text: lines.join('\n') + '\n' };
}

/** The bytes the model says a string constant is stored as: its units, little-endian, then a zero unit. */
function stringBytes(model: Model, c: Constant): number[] {
  const size = stringArray(model, c).unitSize;
  const out: number[] = [];
  for (const u of [...c.units!, 0]) for (let i = 0; i < size; i++) out.push(Math.floor(u / 2 ** (8 * i)) & 0xff);
  return out;
}

const hexBytes = (bytes: number[]) => bytes.map((b) => b.toString(16).padStart(2, '0')).join(' ');
