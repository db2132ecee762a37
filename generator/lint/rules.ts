// The kernel's UAPI rules (Documentation/driver-api/ioctl.rst, process/botching-up-ioctls.rst,
// vfio.h's own conventions) as lint rules over the models of both ABIs. One function per rule.
import { Model, RecordModel } from '../model/model.js';
import { CType, RecordDecl, resolve, typeToString } from '../model/types.js';
import { byteMap } from '../diff/layout-picture.js';

export const LINT_RULES = {
  LINT_PADDING_HOLE: 'implicit padding: bytes no field covers leak kernel memory unless cleared',
  LINT_U64_OFFSET_DIFFERS: 'a 64-bit field sits at another offset on i386 than on x86_64: use __aligned_u64 or explicit padding',
  LINT_LONG_OR_POINTER: 'a pointer, long or unsigned long in an ioctl struct changes size between ABIs: use __u64',
  LINT_FLEX_NOT_LAST: 'a struct ending in a flexible array must be the last member, and never an array element (gcc 14: -Wflex-array-member-not-at-end)',
  LINT_ENUM_FIELD: 'an enum as a field type has no fixed size in the ABI: use a __u32 and the enum for values',
  LINT_BITFIELD: 'bit-fields have no portable layout: use a flags word',
  LINT_EXTENSIBLE_WITHOUT_ARGSZ: 'a struct passed to an _IO-encoded (size-extensible) ioctl should start with argsz and flags',
  LINT_FLAG_OVERLAP: 'two flags of one family share bits',
} as const;

export type LintCode = keyof typeof LINT_RULES;

export interface LintFinding {
  code: LintCode;
  subject: string;
  message: string;
  file: string;
  line: number;
}

export interface LintInput {
  /** Models of the same headers: x86_64 first, i386 second. */
  x86_64: Model;
  i386: Model;
}

const f = (code: LintCode, subject: string, message: string, at: { file: { displayPath: string }; line: number }): LintFinding => ({ code, subject, message, file: at.file.displayPath, line: at.line });

function paddingHoles(m: Model, abi: string): LintFinding[] {
  const out: LintFinding[] = [];
  for (const r of m.records) {
    if (r.decl.kind === 'union' || r.decl.packed) continue;
    const map = byteMap(m, r);
    let start = -1;
    for (let b = 0; b <= map.length; b++) {
      const hole = b < map.length && map[b] === '';
      if (hole && start < 0) start = b;
      if (!hole && start >= 0) {
        const where = b === map.length ? 'at the end' : `before ${map[b]}`;
        out.push(f('LINT_PADDING_HOLE', `${r.name}@${start}`, `${r.cSpelling}: ${b - start} byte${b - start === 1 ? '' : 's'} of padding at offset ${start} ${where} (${abi})`, r.loc));
        start = -1;
      }
    }
  }
  return out;
}

function u64Offsets(input: LintInput): LintFinding[] {
  const out: LintFinding[] = [];
  for (const r of input.x86_64.records) {
    const r32 = input.i386.records.find((x) => x.name === r.name);
    if (!r32) continue;
    for (const f64 of r.layout.fields) {
      const t = resolve(f64.member.type);
      if (!f64.member.name || t.kind !== 'int' || input.x86_64.abi.scalars[t.name].size !== 8) continue;
      const f32 = r32.layout.fields.find((x) => x.member.name === f64.member.name);
      if (f32 && f32.offset !== f64.offset) out.push(f('LINT_U64_OFFSET_DIFFERS', `${r.name}.${f64.member.name}`, `${r.name}.${f64.member.name}: offset ${f64.offset} on x86_64, ${f32.offset} on i386`, f64.member.at));
    }
  }
  return out;
}

/** Records reached from ioctl arguments (encoded or declared), nested records included. */
function ioctlRecords(m: Model): Set<RecordModel> {
  const byName = new Map(m.records.map((r) => [r.cSpelling, r]));
  const out = new Set<RecordModel>();
  const visit = (t: CType | undefined) => {
    const r = t && resolve(t);
    if (!r) return;
    if (r.kind === 'array') return visit(r.of);
    if (r.kind !== 'record') return;
    const model = m.records.find((x) => x.decl === r.record);
    if (model && !out.has(model)) {
      out.add(model);
      for (const mem of r.record.members ?? []) visit(mem.type);
    } else if (!model) for (const mem of r.record.members ?? []) visit(mem.type);
  };
  for (const i of m.ioctls) {
    visit(i.encoded.argCType);
    visit(i.declared?.argCType);
    const named = byName.get((i.encoded.argType ?? i.declared?.argType ?? '').trim());
    if (named) visit({ kind: 'record', record: named.decl });
  }
  return out;
}

function longOrPointer(m: Model): LintFinding[] {
  const out: LintFinding[] = [];
  for (const r of ioctlRecords(m)) {
    for (const mem of r.decl.members ?? []) {
      const t = resolve(mem.type);
      const bad = t.kind === 'pointer' || (t.kind === 'int' && (t.name === 'long' || t.name === 'unsigned long'));
      if (bad && mem.name) out.push(f('LINT_LONG_OR_POINTER', `${r.name}.${mem.name}`, `${r.name}.${mem.name} is ${t.kind === 'pointer' ? 'a pointer' : t.name}`, mem.at));
    }
  }
  return out;
}

function structureRules(m: Model): LintFinding[] {
  const out: LintFinding[] = [];
  for (const r of m.records) {
    const members = r.decl.members ?? [];
    members.forEach((mem, k) => {
      const t = resolve(mem.type);
      const name = `${r.name}.${mem.name ?? '(anonymous)'}`;
      // A flexible array itself anywhere but last is an error the model reports (UG306); GNU C
      // lets a struct that ends in one sit anywhere, where its array overlaps what follows.
      const element = t.kind === 'array' ? resolve(t.of) : undefined;
      if (element?.kind === 'record' && endsInFlexibleArray(element.record)) out.push(f('LINT_FLEX_NOT_LAST', name, `${name} is an array of ${typeToString(element)}, which ends in a flexible array`, mem.at));
      else if (t.kind === 'record' && r.decl.kind === 'struct' && k !== members.length - 1 && endsInFlexibleArray(t.record)) out.push(f('LINT_FLEX_NOT_LAST', name, `${name} is ${typeToString(t)}, which ends in a flexible array, but is not the last member`, mem.at));
      if (mem.type.kind === 'enum' || (mem.type.kind === 'typedef' && t.kind === 'enum')) out.push(f('LINT_ENUM_FIELD', name, `${name} has enum type`, mem.at));
      if (mem.bitWidth !== undefined && mem.name) out.push(f('LINT_BITFIELD', name, `${name} is a ${mem.bitWidth}-bit bit-field`, mem.at));
    });
  }
  return out;
}

/** Whether a record's last member is a flexible array, or a struct that ends in one. */
function endsInFlexibleArray(rec: RecordDecl): boolean {
  const last = rec.members?.[rec.members.length - 1];
  if (last === undefined) return false;
  const t = resolve(last.type);
  if (t.kind === 'array') return t.length === undefined;
  return t.kind === 'record' && t.record.kind === 'struct' && endsInFlexibleArray(t.record);
}

function extensibleWithoutArgsz(m: Model): LintFinding[] {
  const out: LintFinding[] = [];
  for (const i of m.ioctls) {
    if (i.encoded.macro !== '_IO' || !i.declared?.argType?.startsWith('struct ')) continue;
    const r = m.records.find((x) => x.cSpelling === i.declared!.argType!.replace(/\s+/g, ' ').trim());
    if (!r) continue;
    const names = (r.decl.members ?? []).map((x) => x.name);
    if (names[0] !== 'argsz' || names[1] !== 'flags') out.push(f('LINT_EXTENSIBLE_WITHOUT_ARGSZ', `${i.name}`, `${i.name} is _IO-encoded and takes ${r.cSpelling}, which starts with ${names.slice(0, 2).join(', ') || 'nothing'} rather than argsz, flags`, r.loc));
  }
  return out;
}

function flagOverlap(m: Model): LintFinding[] {
  const out: LintFinding[] = [];
  for (const fam of m.flagFamilies) {
    // A flag spelled as another's name is an alias, written on purpose (fuse.h's obsolete
    // FUSE_WRITE_KILL_PRIV, defined as FUSE_WRITE_KILL_SUIDGID): it shares bits by design.
    const names = new Set(fam.members.map((x) => x.constant.name));
    const bits = fam.members.filter((x) => x.kind === 'bit' && !names.has(x.constant.spelling.replace(/[()\s]/g, '')));
    for (let a = 0; a < bits.length; a++) {
      for (let b = a + 1; b < bits.length; b++) {
        const [x, y] = [bits[a].constant, bits[b].constant];
        if ((bits[a].flag & bits[b].flag) !== 0n) out.push(f('LINT_FLAG_OVERLAP', y.name, `${y.name} shares bits with ${x.name} in ${fam.record}.${fam.field}`, y.loc));
      }
    }
  }
  return out;
}

export function lintModels(input: LintInput): LintFinding[] {
  const all = [
    ...paddingHoles(input.x86_64, 'x86_64'),
    ...paddingHoles(input.i386, 'i386'),
    ...u64Offsets(input),
    ...longOrPointer(input.x86_64),
    ...structureRules(input.x86_64),
    ...extensibleWithoutArgsz(input.x86_64),
    ...flagOverlap(input.x86_64),
  ];
  const seen = new Set<string>();
  return all.filter((x) => {
    const key = `${x.code} ${x.subject}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  }).sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.code.localeCompare(b.code) || a.subject.localeCompare(b.subject));
}
