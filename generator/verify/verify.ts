// Verification of a model against gcc: runs the probe, explains each mismatch with gcc's
// own value, and counts what was checked.
import { Model } from '../model/model.js';
import { buildChecks, Check } from './checks.js';
import { askGccValues, runProbe } from './gcc-probe.js';

export interface VerifyReport {
  ok: boolean;
  checked: Record<Check['kind'], number>;
  mismatches: { check: Check; gcc: string; message: string }[];
  otherErrors: string[];
  skippedBitFields: number;
  text: string;
}

export function verifyModel(model: Model, headers: string[], includeDirs: string[]): VerifyReport {
  const { checks, skippedBitFields } = buildChecks(model);
  const probe = runProbe(model.abi, headers, includeDirs, checks);
  const failed = [...probe.failures.keys()].sort((a, b) => a - b);
  const gccValues = failed.length ? askGccValues(model.abi, headers, includeDirs, failed.map((k) => checks[k])) : new Map<number, string>();
  const mismatches = failed.map((k, i) => ({ check: checks[k], gcc: gccValues.get(i) ?? '?', message: probe.failures.get(k)! }));
  const checked = { constant: 0, size: 0, align: 0, offset: 0, enumerator: 0 };
  for (const c of checks) checked[c.kind]++;
  const ok = mismatches.length === 0 && probe.otherErrors.length === 0;
  const names = model.headers.map((h) => h.displayPath).join(', ');
  const lines = [
    `${names} (${model.abi.name}): ${ok ? 'OK' : 'MISMATCH'}: ${checked.constant} constants, ${checked.enumerator} enumerators, ` +
      `${model.records.length} records (${checked.size} sizes, ${checked.align} alignments, ${checked.offset} field offsets) checked against gcc` +
      (skippedBitFields ? `; ${skippedBitFields} bit-field offsets not checked` : ''),
  ];
  for (const m of mismatches) {
    const model = m.check.type ? `${m.check.type} ${m.check.expected}` : String(m.check.expected);
    lines.push(`  mismatch: ${m.check.label}: model ${model}, gcc ${m.gcc}`);
  }
  for (const e of probe.otherErrors) lines.push(`  gcc: ${e}`);
  return { ok, checked, mismatches, otherErrors: probe.otherErrors, skippedBitFields, text: lines.join('\n') + '\n' };
}
