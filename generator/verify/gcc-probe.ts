// Compiles a probe with gcc and reads back which checks failed. Nothing is executed: the
// checks are `_Static_assert`s, so the i386 probe works on a machine that cannot run 32-bit
// code. For a failed check a second probe makes gcc print its own value, through the type
// `char (*)[N]` it names in an error message.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { isPathArgument } from '../passes/read-headers.js';
import { Abi } from '../model/abi.js';
import { BitFieldCheck, Check, cLiteral } from './checks.js';

export class GccUnavailable extends Error {}

export interface ProbeResult {
  /** gcc's message per failed check index. */
  failures: Map<number, string>;
  /** Errors gcc gave outside any check line (the headers themselves). */
  otherErrors: string[];
}

function includeLines(headers: string[]): string {
  return headers.map((h) => (isPathArgument(h) ? `#include "${resolve(h)}"` : `#include <${h}>`)).join('\n');
}

function runGcc(abi: Abi, source: string, includeDirs: string[], assemble = false): { lines: string[]; out: string; status: number | null } {
  const dir = mkdtempSync(join(tmpdir(), 'uapigen-verify-'));
  try {
    const file = join(dir, 'probe.c');
    writeFileSync(file, source);
    const mode = assemble ? ['-S', '-O0', '-o', '-'] : ['-fsyntax-only'];
    const args = [abi.gccFlag, ...mode, '-w', '-fno-diagnostics-show-caret', ...includeDirs.map((d) => `-I${resolve(d)}`), file];
    const r = spawnSync('gcc', args, { encoding: 'utf8', env: { ...process.env, LC_ALL: 'C' } });
    if (r.error) throw new GccUnavailable(`cannot run gcc: ${r.error.message}`);
    return { lines: (r.stderr ?? '').split('\n'), out: r.stdout ?? '', status: r.status };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const PRELUDE = '#define UG_SAME_TYPE(x, T) __builtin_types_compatible_p(__typeof__(x), T)';

/**
 * The probe source, one or more lines per check, with the check each line belongs to.
 * An enumerator check is wrapped so that a macro of the same name (pkt_sched.h has
 * `#define __TC_MQPRIO_MODE_MAX (__TC_MQPRIO_MODE_MAX - 1)`) does not hide the enumerator.
 */
function probeSource(headers: string[], checks: Check[], linesFor: (c: Check, k: number) => string[]): { source: string; owner: Map<number, { check: number; part: number }> } {
  const lines = [...includeLines(headers).split('\n'), PRELUDE];
  const owner = new Map<number, { check: number; part: number }>();
  checks.forEach((c, k) => {
    const shadowable = c.kind === 'enumerator';
    const name = c.expr.replace(/^\(|\)$/g, '');
    if (shadowable) lines.push(`#pragma push_macro("${name}")`, `#undef ${name}`);
    linesFor(c, k).forEach((l, part) => {
      lines.push(l);
      owner.set(lines.length, { check: k, part });
    });
    if (shadowable) lines.push(`#pragma pop_macro("${name}")`);
  });
  return { source: lines.join('\n') + '\n', owner };
}

function errorsByLine(lines: string[]): { line: number; message: string }[] {
  const out: { line: number; message: string }[] = [];
  for (const l of lines) {
    const m = /probe\.c:(\d+):\d+: error: (.*)$/.exec(l);
    if (m) out.push({ line: Number(m[1]), message: m[2] });
    else if (/: (fatal )?error: /.test(l)) out.push({ line: 0, message: l });
  }
  return out;
}

export function runProbe(abi: Abi, headers: string[], includeDirs: string[], checks: Check[]): ProbeResult {
  const { source, owner } = probeSource(headers, checks, (c, k) => {
    const unsigned = c.type ? c.type.startsWith('unsigned') || c.type === '_Bool' : c.expected >= 0n;
    const value = `${c.expr} == ${cLiteral(c.expected, unsigned)}`;
    const type = c.type ? ` && UG_SAME_TYPE(${c.typeOf ?? c.expr}, ${c.type})` : '';
    return [`_Static_assert(${value}${type}, "check ${k}");`];
  });
  const failures = new Map<number, string>();
  const otherErrors: string[] = [];
  for (const e of errorsByLine(runGcc(abi, source, includeDirs).lines)) {
    const o = owner.get(e.line);
    if (o && !failures.has(o.check)) failures.set(o.check, e.message);
    else if (!o) otherErrors.push(e.message);
  }
  return { failures, otherErrors };
}

const TYPE_CODES = ['int', 'unsigned int', 'long', 'unsigned long', 'long long', 'unsigned long long', 'char', 'signed char', 'unsigned char', 'short', 'unsigned short', '_Bool'];

/** gcc's own value and type of each check's expression, as `int 59`. */
export function askGccValues(abi: Abi, headers: string[], includeDirs: string[], checks: Check[]): Map<number, string> {
  const generic = TYPE_CODES.map((t, k) => `${t}: ${k + 1}`).join(', ');
  // Three lines a check: the magnitude (plus one, so zero is a valid size), the sign, the type.
  const { source, owner } = probeSource(headers, checks, (c, k) => [
    `char (*ug_value_${k})[((${c.expr}) < 0 ? -(unsigned long long)(${c.expr}) : (unsigned long long)(${c.expr})) + 1] = 1.0;`,
    `_Static_assert(!((${c.expr}) < 0), "negative");`,
    `char (*ug_type_${k})[_Generic((${c.expr}), ${generic}, default: 99)] = 1.0;`,
  ]);
  const magnitude = new Map<number, bigint>();
  const negative = new Set<number>();
  const type = new Map<number, string>();
  for (const e of errorsByLine(runGcc(abi, source, includeDirs).lines)) {
    const o = owner.get(e.line);
    if (!o) continue;
    const arr = /'char \(\*\)\[(\d+)\]'/.exec(e.message);
    if (o.part === 0 && arr) magnitude.set(o.check, BigInt(arr[1]) - 1n);
    else if (o.part === 1) negative.add(o.check);
    else if (o.part === 2 && arr) type.set(o.check, TYPE_CODES[Number(arr[1]) - 1] ?? 'another type');
  }
  const out = new Map<number, string>();
  for (const [k, v] of magnitude) out.set(k, `${type.get(k) ?? ''} ${negative.has(k) ? -v : v}`.trim());
  return out;
}

const DATA_SIZES: Record<string, number> = { '.byte': 1, '.value': 2, '.short': 2, '.word': 2, '.long': 4, '.int': 4, '.quad': 8 };

/**
 * Where gcc puts each bit-field: an object with only that field set to all ones is compiled
 * to assembly, and the set bits of its initializer are the field's bits. Nothing runs.
 */
export function askGccBitFields(abi: Abi, headers: string[], includeDirs: string[], fields: BitFieldCheck[]): Map<number, { bitOffset: number; bitWidth: number } | string> {
  const objects = assembledObjects(abi, headers, includeDirs, fields.map((f, k) => `${f.record} ug_obj_${k} = { .${f.path} = ~0ULL };`));
  const result = new Map<number, { bitOffset: number; bitWidth: number } | string>();
  for (const [k, bytes] of objects) {
    if (typeof bytes === 'string') {
      result.set(k, bytes);
      continue;
    }
    let first = -1;
    let count = 0;
    bytes.forEach((byte, i) => {
      for (let bit = 0; bit < 8; bit++) {
        if (byte & (1 << bit)) {
          if (first < 0) first = i * 8 + bit;
          count++;
        }
      }
    });
    result.set(k, first < 0 ? 'gcc set no bits' : { bitOffset: first, bitWidth: count });
  }
  return result;
}

/**
 * The bytes gcc stores for each string constant: an array of the model's element type is
 * initialized from it and compiled to assembly, whose data is read back. Nothing runs.
 */
export function askGccStrings(abi: Abi, headers: string[], includeDirs: string[], strings: { name: string; element: string }[]): Map<number, number[] | string> {
  return assembledObjects(abi, headers, includeDirs, strings.map((x, k) => `const ${x.element} ug_obj_${k}[] = ${x.name};`));
}

/**
 * Compiles the headers and one object definition a line (the k-th named `ug_obj_<k>`) to
 * assembly; answers each object's bytes, or gcc's error on its line.
 */
function assembledObjects(abi: Abi, headers: string[], includeDirs: string[], definitions: string[]): Map<number, number[] | string> {
  const lines = [...includeLines(headers).split('\n')];
  const owner = new Map<number, number>();
  definitions.forEach((d, k) => {
    lines.push(d);
    owner.set(lines.length, k);
  });
  const { lines: errs, out } = runGcc(abi, lines.join('\n') + '\n', includeDirs, true);
  const result = new Map<number, number[] | string>();
  for (const e of errorsByLine(errs)) {
    const k = owner.get(e.line);
    if (k !== undefined && !result.has(k)) result.set(k, `gcc: ${e.message}`);
  }
  for (const [k, bytes] of objectBytes(out, 'ug_obj_')) if (!result.has(k)) result.set(k, bytes);
  return result;
}

/** The escapes of a gas string directive (gcc writes other bytes as they are, or in octal). */
const GAS_ESCAPES: Record<string, number> = { b: 8, f: 12, n: 10, r: 13, t: 9, '\\': 92, '"': 34 };

/** The bytes of a `.string` or `.ascii` operand (between its quotes). */
function gasStringBytes(body: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < body.length; i++) {
    if (body[i] !== '\\') {
      out.push(body.charCodeAt(i));
      continue;
    }
    const octal = /^[0-7]{1,3}/.exec(body.slice(i + 1));
    const hex = /^x([0-9a-fA-F]{1,2})/.exec(body.slice(i + 1));
    if (octal) {
      out.push(parseInt(octal[0], 8) & 0xff);
      i += octal[0].length;
    } else if (hex) {
      out.push(parseInt(hex[1], 16));
      i += hex[0].length;
    } else {
      out.push(GAS_ESCAPES[body[i + 1]] ?? body.charCodeAt(i + 1));
      i++;
    }
  }
  return out;
}

/** The bytes of each object labelled `<prefix><k>:` in gcc's assembly, from its data directives. */
function objectBytes(asm: string, prefix: string): Map<number, number[]> {
  const result = new Map<number, number[]>();
  let bytes: number[] | undefined;
  for (const raw of asm.split('\n')) {
    const line = raw.trim();
    const label = /^([A-Za-z_.$][\w.$]*):$/.exec(line);
    if (label) {
      const k = label[1].startsWith(prefix) ? Number(label[1].slice(prefix.length)) : NaN;
      bytes = Number.isInteger(k) ? [] : undefined;
      if (bytes) result.set(k, bytes);
      continue;
    }
    if (!bytes) continue;
    const str = /^\.(string|ascii)\s+"(.*)"$/.exec(line);
    if (str) {
      bytes.push(...gasStringBytes(str[2]));
      if (str[1] === 'string') bytes.push(0);
      continue;
    }
    const d = /^(\.[a-z]+)\s+(-?\w+)/.exec(line);
    if (!d) continue;
    if (d[1] === '.zero') bytes.push(...new Array<number>(Number(d[2])).fill(0));
    else if (DATA_SIZES[d[1]]) {
      let v = BigInt.asUintN(DATA_SIZES[d[1]] * 8, BigInt(d[2]));
      for (let i = 0; i < DATA_SIZES[d[1]]; i++, v >>= 8n) bytes.push(Number(v & 0xffn));
    }
  }
  return result;
}
