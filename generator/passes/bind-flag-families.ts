// vfio.h's convention: a run of #defines written right after a struct field holds the values
// of that field (`VFIO_REGION_INFO_FLAG_*` follow `vfio_region_info.flags`). The family is
// bound to the field so that generated code can type the field by it.
import { Loc } from '../diagnostics.js';
import { Constant, FlagFamily, FlagKind } from '../model/model.js';
import { CType, RecordDecl, resolve } from '../model/types.js';
import type { Session } from '../pipeline.js';

interface FieldLine {
  path: string;
  line: number;
  /** Undefined for the line of an inline record (a boundary, not a field that takes values). */
  type?: CType;
}

/** Every field of a record with its line, nested inline records included, as dotted paths. */
function fieldLines(r: RecordDecl, prefix = ''): FieldLine[] {
  const out: FieldLine[] = [];
  for (const m of r.members ?? []) {
    const t = resolve(m.type);
    const path = m.name ? prefix + m.name : prefix.replace(/\.$/, '');
    if (m.name) out.push({ path, line: m.at.line, type: m.type });
    if (t.kind === 'record' && !t.record.name) {
      out.push({ path: path || '(anonymous)', line: t.record.at.line });
      out.push(...fieldLines(t.record, m.name ? `${path}.` : prefix));
    }
  }
  return out;
}

export function commonPrefix(names: string[]): string {
  if (names.length === 0) return '';
  let p = names[0];
  for (const n of names) while (!n.startsWith(p)) p = p.slice(0, -1);
  const cut = p.lastIndexOf('_');
  return cut >= 0 ? p.slice(0, cut + 1) : '';
}

/**
 * The family's name: the members' common prefix; for a lone member, what it shares with
 * the record's name (`VHOST_VFIO_NEED_REPLY` in vhost_vfio_op: `VHOST_VFIO_`).
 */
export function familyName(names: string[], record: string): string {
  const p = commonPrefix(names.length > 1 ? names : [names[0], record.toUpperCase() + '_']);
  return p || names[0];
}

export function classifyFlags(constants: Constant[]): { constant: Constant; kind: FlagKind }[] {
  const values = constants.map((c) => c.value as bigint);
  const singleBits = values.filter((v) => v > 0n && (v & (v - 1n)) === 0n);
  const union = singleBits.reduce((a, b) => a | b, 0n);
  return constants.map((c) => {
    const v = c.value as bigint;
    if (v > 0n && (v & (v - 1n)) === 0n) return { constant: c, kind: 'bit' };
    if (v > 0n && (v & union) === v && singleBits.length > 1) return { constant: c, kind: 'mask' };
    return { constant: c, kind: 'value' };
  });
}

/** A family's values must fit its field: an unsigned reading of an integer field of that size. */
function fitsField(s: Session, type: CType | undefined, run: Constant[]): boolean {
  const t = type && resolve(type);
  if (!t || (t.kind !== 'int' && t.kind !== 'enum')) return false;
  const bits = BigInt(s.model.declarations.layouts.sizeOf(t) * 8);
  return run.every((c) => (c.value as bigint) >= 0n && (c.value as bigint) < 1n << bits);
}

/** The constants strictly between two lines, from a list sorted by line (binary search, then a slice). */
function between(sorted: Constant[], from: number, to: number): Constant[] {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid].loc.line <= from) lo = mid + 1;
    else hi = mid;
  }
  let end = lo;
  while (end < sorted.length && sorted[end].loc.line < to) end++;
  return sorted.slice(lo, end);
}

export function bindFlagFamilies(s: Session): void {
  const byFile = new Map<Loc['file'], Constant[]>();
  for (const c of s.model.constants) {
    if (c.kind !== 'integer') continue;
    const list = byFile.get(c.loc.file) ?? [];
    list.push(c);
    byFile.set(c.loc.file, list);
  }
  for (const list of byFile.values()) list.sort((a, b) => a.loc.line - b.loc.line);
  for (const rec of s.model.records) {
    const constants = byFile.get(rec.loc.file);
    if (!constants) continue;
    const fields = fieldLines(rec.decl).sort((a, b) => a.line - b.line);
    for (let k = 0; k < fields.length; k++) {
      const from = fields[k].line;
      const to = k + 1 < fields.length ? fields[k + 1].line : rec.decl.endAt.line;
      const run = between(constants, from, to);
      if (run.length === 0 || !fitsField(s, fields[k].type, run)) continue;
      const family: FlagFamily = {
        name: familyName(run.map((c) => c.name), rec.name),
        record: rec.name,
        field: fields[k].path,
        members: classifyFlags(run),
        source: 'convention',
      };
      s.model.flagFamilies.push(family);
    }
  }
}
