// What `verify` asks gcc: every integer constant (value and C type), every record's size and
// alignment, every named non-bit-field's offset, every enumerator's value. Each check is one
// line of the probe, so gcc's diagnostics map back to checks by line number.
import { Constant, Model } from '../model/model.js';
import { IntName } from '../model/types.js';
import { fieldsJson, flattenFields } from '../model/json.js';

export interface BitFieldCheck {
  label: string;
  /** How C spells the record, and the designator of the bit-field inside it. */
  record: string;
  path: string;
  bitOffset: number;
  bitWidth: number;
}

export interface Check {
  /** What is checked, for people: `VFIO_TYPE`, `sizeof(struct vfio_region_info)`. */
  label: string;
  kind: 'constant' | 'string' | 'size' | 'align' | 'offset' | 'enumerator';
  /** A C expression whose value gcc computes. */
  expr: string;
  expected: bigint;
  /** For constants: the C type the model gives the expression. */
  type?: string;
  /** The expression `type` is the type of, when not `expr` (a string's type, beside its sizeof). */
  typeOf?: string;
}

/** A literal of a type wide enough for the value, and of its signedness. */
export function cLiteral(v: bigint, unsigned: boolean): string {
  if (unsigned) return `${v}ULL`;
  if (v === -(1n << 63n)) return '(-9223372036854775807LL - 1)';
  return v < 0n ? `(${v}LL)` : `${v}LL`;
}

const within64 = (v: bigint) => v >= -(1n << 63n) && v < 1n << 64n;

export function buildChecks(model: Model): { checks: Check[]; bitFields: BitFieldCheck[] } {
  const checks: Check[] = [];
  const bitFields: BitFieldCheck[] = [];
  for (const c of model.constants) {
    if (c.kind === 'string') {
      // Its array type and size: the kind of its units, and how many escapes and characters
      // make (`"\xff"` is 2 bytes, `L"ab"` 12). Its bytes are compared after (verify.ts).
      const { unitSize, count } = stringArray(model, c);
      checks.push({ label: c.name, kind: 'string', expr: `sizeof(${c.name})`, expected: BigInt(unitSize * count), type: c.type, typeOf: `(${c.name})` });
      continue;
    }
    if (c.kind !== 'integer' || !within64(c.value as bigint)) continue;
    checks.push({ label: c.name, kind: 'constant', expr: `(${c.name})`, expected: c.value as bigint, type: c.type });
  }
  for (const r of model.records) {
    const t = r.cSpelling;
    checks.push({ label: `sizeof(${t})`, kind: 'size', expr: `sizeof(${t})`, expected: BigInt(r.layout.size) });
    checks.push({ label: `_Alignof(${t})`, kind: 'align', expr: `_Alignof(${t})`, expected: BigInt(r.layout.align) });
    for (const { path, field: f } of flattenFields(fieldsJson(model, r.layout.fields))) {
      if (f.bitWidth !== undefined) {
        if (f.name) bitFields.push({ label: `${t}.${path}`, record: t, path, bitOffset: f.bitOffset!, bitWidth: f.bitWidth });
      } else checks.push({ label: `offsetof(${t}, ${path})`, kind: 'offset', expr: `__builtin_offsetof(${t}, ${path})`, expected: BigInt(f.offset) });
    }
  }
  for (const e of model.enums) {
    for (const m of e.decl.members) {
      checks.push({ label: m.name, kind: 'enumerator', expr: `(${m.name})`, expected: m.value });
    }
  }
  return { checks, bitFields };
}

/** A string constant's array type as the model spells it (`unsigned short[3]`): its element, that element's size, and how many. */
export function stringArray(model: Model, c: Constant): { element: IntName; unitSize: number; count: number } {
  const m = /^(.*)\[(\d+)\]$/.exec(c.type);
  const unit = m ? model.abi.scalars[m[1] as IntName] : undefined;
  if (!m || !unit) throw new Error(`string constant ${c.name} of type ${c.type}`);
  return { element: m[1] as IntName, unitSize: unit.size, count: Number(m[2]) };
}
