// Compares two models of the same headers on one ABI. Everything is compared by evaluated
// value and computed layout, never by spelling: `(1 << 3)` and `8` are the same constant.
import { Loc } from '../diagnostics.js';
import { fieldsJson, flattenFields } from '../model/json.js';
import { Constant, flagText, Model, RecordModel } from '../model/model.js';
import { resolve, typeToString } from '../model/types.js';
import { ChangeCode, Finding, finding, Place } from './findings.js';

const place = (loc: Loc): Place => ({ file: loc.file.displayPath, line: loc.line });
const hex = (v: bigint | string) => (typeof v === 'bigint' ? (v < 0n ? `-0x${(-v).toString(16)}` : `0x${v.toString(16)}`) : JSON.stringify(v));
const show = (c: Constant) => (c.kind === 'integer' ? `${c.value} (${hex(c.value)})` : JSON.stringify(c.value));

/** A count or bound that moves when members are appended (check-uapi suppresses these by name). */
const isCountLike = (name: string) => /^__|_(NUM|MAX|CNT|COUNT|LAST|NR)(_|$)|_(NUM|MAX|CNT|COUNT)S?$/.test(name) || /_NUM_[A-Z]+S$/.test(name);
const isReservedName = (name: string) => /reserved|rsvd|resv|pad|unused|spare/i.test(name);
/** How far (in lines) a renamed constant may have moved. */
const RENAME_DISTANCE = 10;

/**
 * The file a declaration is in, as both sides can agree on it: the header each model was asked
 * for is one file whatever it is called (`diff vfio.h.orig vfio.h`); any other by its name.
 */
const MAIN_HEADER = '';
const fileOf = (m: Model, loc: Loc) => (loc.file.path === m.headers[0]?.path ? MAIN_HEADER : loc.file.displayPath);

export function compareModels(oldM: Model, newM: Model): Finding[] {
  const abi = newM.abi.name;
  const out: Finding[] = [];
  const add = (code: ChangeCode, subject: string, message: string, where: { old?: Loc; new?: Loc }) =>
    out.push(finding(code, subject, message, { old: where.old && place(where.old), new: where.new && place(where.new) }, abi));

  const oldC = new Map(oldM.constants.map((c) => [c.name, c]));
  const newC = new Map(newM.constants.map((c) => [c.name, c]));
  const ioctlOld = new Map(oldM.ioctls.map((i) => [i.name, i]));
  const ioctlNew = new Map(newM.ioctls.map((i) => [i.name, i]));
  const apiNames = new Set([...oldM.apiStrings, ...newM.apiStrings].flatMap((f) => f.members.map((m) => m.name)));
  const familyNew = new Map(newM.flagFamilies.flatMap((f) => f.members.map((m) => [m.constant.name, f] as const)));

  // Renames first: a removed constant and an added one with the same value and type, close by.
  const removed = [...oldC.values()].filter((c) => !newC.has(c.name));
  const added = [...newC.values()].filter((c) => !oldC.has(c.name));
  const renamedTo = new Map<string, Constant>();
  for (const r of removed) {
    const candidates = added.filter((a) => ![...renamedTo.values()].includes(a) && a.kind === r.kind && a.value === r.value && a.type === r.type && fileOf(newM, a.loc) === fileOf(oldM, r.loc) && Math.abs(a.loc.line - r.loc.line) <= RENAME_DISTANCE);
    candidates.sort((a, b) => Math.abs(a.loc.line - r.loc.line) - Math.abs(b.loc.line - r.loc.line));
    if (candidates[0]) renamedTo.set(r.name, candidates[0]);
  }
  const renamedNew = new Set([...renamedTo.values()].map((c) => c.name));

  for (const r of removed) {
    const to = renamedTo.get(r.name);
    if (to) add('CONSTANT_RENAMED', r.name, `${r.name} is now ${to.name} (same value ${show(r)}); code that names ${r.name} no longer compiles`, { old: r.loc, new: to.loc });
    else if (ioctlOld.has(r.name)) add('IOCTL_REMOVED', r.name, `ioctl ${r.name} (${show(r)}) is gone`, { old: r.loc });
    else if (apiNames.has(r.name)) add('API_STRING_REMOVED', r.name, `API string ${r.name} ${show(r)} is gone`, { old: r.loc });
    else add('CONSTANT_REMOVED', r.name, `${r.name} = ${show(r)} is gone`, { old: r.loc });
  }
  for (const a of added) {
    if (renamedNew.has(a.name)) continue;
    const fam = familyNew.get(a.name);
    if (fam && a.kind === 'integer') {
      const member = fam.members.find((m) => m.constant.name === a.name)!;
      // Values of a field taken one at a time collide only when equal; flags (and the flags a
      // family of values carries beside them, such as GSO_ECN) when they share a bit.
      const asValue = (m: typeof member) => fam.encoding === 'values' && m.kind !== 'bit';
      const collides = (m: typeof member) => (asValue(m) && asValue(member) ? m.flag === member.flag : m.kind !== 'mask' && member.kind !== 'mask' && (m.flag & member.flag) !== 0n);
      const clash = fam.members.find((m) => m.constant.name !== a.name && collides(m));
      if (clash) {
        add('FLAG_BIT_COLLISION', a.name, `${a.name} = ${flagText(fam, member)} in ${fam.record}.${fam.field} uses the ${asValue(member) && asValue(clash) ? 'value' : 'bits'} of ${clash.constant.name} = ${flagText(fam, clash)}`, { old: oldC.get(clash.constant.name)?.loc ?? clash.constant.loc, new: a.loc });
      } else add('FLAG_ADDED', a.name, `${a.name} = ${flagText(fam, member)} in ${asValue(member) ? 'an unused value' : 'a free bit'} of ${fam.record}.${fam.field}`, { new: a.loc });
    } else if (ioctlNew.has(a.name)) add('IOCTL_ADDED', a.name, `new ioctl ${a.name} = ${show(a)}`, { new: a.loc });
    else if (apiNames.has(a.name)) add('API_STRING_ADDED', a.name, `new API string ${a.name} = ${show(a)}`, { new: a.loc });
    else add('CONSTANT_ADDED', a.name, `new constant ${a.name} = ${show(a)}`, { new: a.loc });
  }
  for (const [name, o] of oldC) {
    const n = newC.get(name);
    if (!n) continue;
    if (o.value !== n.value) {
      const oi = ioctlOld.get(name);
      const ni = ioctlNew.get(name);
      if (oi && ni) {
        const parts = (['direction', 'type', 'nr', 'size'] as const).filter((k) => oi.decoded[k] !== ni.decoded[k]).map((k) => `${k} ${oi.decoded[k]} -> ${ni.decoded[k]}`);
        const why = oi.encoded.argType && oi.encoded.argType === ni.encoded.argType && oi.decoded.size !== ni.decoded.size ? ` (${ni.encoded.argType} changed size; the macro text did not)` : '';
        add('IOCTL_NUMBER_CHANGED', name, `${name}: ${hex(oi.value)} -> ${hex(ni.value)}: ${parts.join(', ')}${why}`, { old: o.loc, new: n.loc });
      } else if (apiNames.has(name)) add('API_STRING_CHANGED', name, `${name}: ${show(o)} -> ${show(n)}`, { old: o.loc, new: n.loc });
      else add('CONSTANT_VALUE_CHANGED', name, `${name}: ${show(o)} -> ${show(n)}`, { old: o.loc, new: n.loc });
    } else if (o.type !== n.type) {
      add('CONSTANT_TYPE_CHANGED', name, `${name} keeps its value ${show(n)} but its type changes: ${o.type} -> ${n.type}`, { old: o.loc, new: n.loc });
    }
  }
  for (const [name, oi] of ioctlOld) {
    const ni = ioctlNew.get(name);
    if (!ni) continue;
    const norm = (s?: string) => (s ?? '').replace(/\s+/g, ' ').trim();
    // The encoded argument is ABI; a doc comment's declared one is compared only when both
    // versions declare one (a comment that is reworded or dropped changes no ABI).
    const encodedOld = norm(oi.encoded.argType);
    const encodedNew = norm(ni.encoded.argType);
    if (encodedOld !== encodedNew) {
      add('IOCTL_ARG_TYPE_CHANGED', name, `${name} takes ${encodedNew || 'no argument'} instead of ${encodedOld || 'no argument'}`, { old: oi.constant.loc, new: ni.constant.loc });
    } else if (oi.declared && ni.declared && norm(oi.declared.argType) !== norm(ni.declared.argType)) {
      add('IOCTL_ARG_TYPE_CHANGED', name, `${name} is documented to take ${norm(ni.declared.argType) || 'no argument'} instead of ${norm(oi.declared.argType) || 'no argument'}`, { old: oi.declared.loc, new: ni.declared.loc });
    }
  }

  compareEnums(oldM, newM, add);
  compareRecords(oldM, newM, add);
  compareCapabilities(oldM, newM, add);
  return out;
}

type Add = (code: ChangeCode, subject: string, message: string, where: { old?: Loc; new?: Loc }) => void;

function compareEnums(oldM: Model, newM: Model, add: Add): void {
  const oldMembers = new Map(oldM.enums.flatMap((e) => e.decl.members.map((m) => [m.name, m] as const)));
  const newMembers = new Map(newM.enums.flatMap((e) => e.decl.members.map((m) => [m.name, m] as const)));
  for (const e of newM.enums) {
    const members = e.decl.members;
    const known = members.filter((m) => oldMembers.has(m.name));
    if (known.length === 0) {
      const idx = newM.indexEnums.find((x) => x.members[0]?.name === members[0]?.name);
      const label = e.name ? `enum ${e.name}` : idx ? idx.name : `enum { ${members[0]?.name}, ... }`;
      add('ENUM_ADDED', label, `new ${label} (${members.map((m) => `${m.name}=${m.value}`).join(', ')})`, { new: e.loc });
      continue;
    }
    const appendedOnly = (k: number) => members.slice(k + 1).every((m) => !oldMembers.has(m.name) || isCountLike(m.name));
    members.forEach((m, k) => {
      const o = oldMembers.get(m.name);
      if (!o) {
        if (appendedOnly(k)) add('ENUM_MEMBER_ADDED', m.name, `new enumerator ${m.name} = ${m.value}`, { new: m.at });
        else add('ENUM_MEMBER_INSERTED', m.name, `${m.name} = ${m.value} inserted before existing enumerators: ${members.slice(k + 1).filter((x) => oldMembers.has(x.name) && !isCountLike(x.name)).map((x) => x.name).join(', ')}`, { new: m.at });
        return;
      }
      if (o.value === m.value) return;
      const onlyAppendsBefore = members.slice(0, k).every((x) => !oldMembers.has(x.name) || oldMembers.get(x.name)!.value === x.value);
      if (isCountLike(m.name) && onlyAppendsBefore) add('ENUM_COUNT_CHANGED', m.name, `${m.name}: ${o.value} -> ${m.value} (members were appended before it)`, { old: o.at, new: m.at });
      else add('ENUM_MEMBER_RENUMBERED', m.name, `${m.name}: ${o.value} -> ${m.value}`, { old: o.at, new: m.at });
    });
  }
  for (const [name, o] of oldMembers) if (!newMembers.has(name)) add('ENUM_MEMBER_REMOVED', name, `enumerator ${name} = ${o.value} is gone`, { old: o.at });
}

interface FlatField {
  path: string;
  offset: number;
  size: number;
  bitOffset?: number;
  type: string;
}

function flat(model: Model, r: RecordModel): FlatField[] {
  return flattenFields(fieldsJson(model, r.layout.fields)).map(({ path, field: f }) => ({ path, offset: f.offset, size: f.size, bitOffset: f.bitOffset, type: f.type }));
}

/** The resolved C type of a field path, so that a typedef respelling (`__u32` -> `__le32`) is not a change. */
function resolvedType(model: Model, r: RecordModel, path: string): string {
  let fields = r.layout.fields;
  let t;
  for (const part of path.split('.')) {
    const find = (list: typeof fields): (typeof fields)[number] | undefined => {
      for (const f of list) {
        if (f.member.name === part) return f;
        const rt = resolve(f.member.type);
        if (!f.member.name && rt.kind === 'record' && rt.record.members) {
          const hit = find(model.declarations.layouts.record(rt.record).fields);
          if (hit) return hit;
        }
      }
      return undefined;
    };
    const f = find(fields);
    if (!f) return '?';
    t = resolve(f.member.type);
    fields = t.kind === 'record' && t.record.members ? model.declarations.layouts.record(t.record).fields : [];
  }
  return t ? typeToString(t) : '?';
}

function compareRecords(oldM: Model, newM: Model, add: Add): void {
  const oldR = new Map(oldM.records.map((r) => [r.name, r]));
  const newR = new Map(newM.records.map((r) => [r.name, r]));
  for (const [name, o] of oldR) if (!newR.has(name)) add('RECORD_REMOVED', name, `${o.cSpelling} is gone`, { old: o.loc });
  for (const [name, n] of newR) {
    const o = oldR.get(name);
    if (!o) {
      add('RECORD_ADDED', name, `new ${n.cSpelling} (${n.layout.size} bytes)`, { new: n.loc });
      continue;
    }
    const of = flat(oldM, o);
    const nf = flat(newM, n);
    const oldBy = new Map(of.map((f) => [f.path, f]));
    const newBy = new Map(nf.map((f) => [f.path, f]));
    const renamedTargets = new Set<string>();
    let explainedGrowth = true;
    for (const f of of) {
      const g = newBy.get(f.path);
      if (!g) {
        const twin = nf.find((x) => !oldBy.has(x.path) && !renamedTargets.has(x.path) && x.offset === f.offset && x.size === f.size && x.bitOffset === f.bitOffset);
        if (twin) {
          renamedTargets.add(twin.path);
          if (isReservedName(f.path)) add('RESERVED_FIELD_USED', `${name}.${twin.path}`, `${name}.${f.path} becomes ${twin.path} (${twin.type}) at offset ${f.offset}`, { old: o.loc, new: n.loc });
          else add('FIELD_RENAMED', `${name}.${f.path}`, `${name}.${f.path} is now ${twin.path} at offset ${f.offset}`, { old: o.loc, new: n.loc });
        } else {
          add('FIELD_REMOVED', `${name}.${f.path}`, `${name}.${f.path} (${f.type} at offset ${f.offset}) is gone`, { old: o.loc, new: n.loc });
          explainedGrowth = false;
        }
        continue;
      }
      if (f.offset !== g.offset || f.bitOffset !== g.bitOffset) {
        add('FIELD_OFFSET_CHANGED', `${name}.${f.path}`, `${name}.${f.path} moved from offset ${f.offset} to ${g.offset}${f.bitOffset !== undefined ? ` (bit ${f.bitOffset} -> ${g.bitOffset})` : ''}`, { old: o.loc, new: n.loc });
        explainedGrowth = false;
      }
      if (f.size !== g.size) {
        add('FIELD_SIZE_CHANGED', `${name}.${f.path}`, `${name}.${f.path}: ${f.size} -> ${g.size} bytes`, { old: o.loc, new: n.loc });
        explainedGrowth = false;
      } else if (resolvedType(oldM, o, f.path) !== resolvedType(newM, n, f.path)) {
        add('FIELD_TYPE_CHANGED', `${name}.${f.path}`, `${name}.${f.path}: ${f.type} -> ${g.type}`, { old: o.loc, new: n.loc });
      }
    }
    const users = newM.ioctls.filter((i) => [i.encoded.argType, i.declared?.argType].some((t) => t?.replace(/\s+/g, ' ').trim() === n.cSpelling));
    const sizeEncoded = users.filter((i) => i.encoded.macro !== '_IO' && i.encoded.argType?.replace(/\s+/g, ' ').trim() === n.cSpelling);
    const extensible = nf[0]?.path === 'argsz';
    for (const g of nf) {
      if (oldBy.has(g.path) || renamedTargets.has(g.path) || g.path.includes('.')) continue;
      if (g.offset >= o.layout.size) {
        if (sizeEncoded.length) add('FIELD_APPENDED_SIZE_ENCODED', `${name}.${g.path}`, `${name}.${g.path} appended, and ${sizeEncoded.map((i) => i.name).join(', ')} encode${sizeEncoded.length === 1 ? 's' : ''} the struct's size in the number`, { old: o.loc, new: n.loc });
        else if (extensible) add('FIELD_APPENDED_EXTENSIBLE', `${name}.${g.path}`, `${name}.${g.path} appended to an argsz struct${users.length ? ` (${users.map((i) => `${i.name} is ${i.encoded.macro}-encoded`).join(', ')})` : ''}`, { old: o.loc, new: n.loc });
        else {
          add('FIELD_ADDED', `${name}.${g.path}`, `${name}.${g.path} appended to a struct with no argsz`, { old: o.loc, new: n.loc });
          explainedGrowth = false;
        }
        if (sizeEncoded.length) explainedGrowth = false;
      } else {
        add('FIELD_ADDED', `${name}.${g.path}`, `${name}.${g.path} added at offset ${g.offset}, inside the old struct`, { old: o.loc, new: n.loc });
        explainedGrowth = false;
      }
    }
    if (o.layout.size !== n.layout.size && !(explainedGrowth && n.layout.size > o.layout.size && extensible)) {
      add('RECORD_SIZE_CHANGED', name, `${n.cSpelling}: ${o.layout.size} -> ${n.layout.size} bytes`, { old: o.loc, new: n.loc });
    }
    if (o.layout.align !== n.layout.align) add('RECORD_ALIGN_CHANGED', name, `${n.cSpelling}: align ${o.layout.align} -> ${n.layout.align}`, { old: o.loc, new: n.loc });
  }
}

function compareCapabilities(oldM: Model, newM: Model, add: Add): void {
  for (const nf of newM.capabilityFamilies) {
    const of = oldM.capabilityFamilies.find((f) => f.info === nf.info);
    if (!of) continue;
    for (const m of nf.members) {
      const v = m.id.value as bigint;
      const before = of.members.filter((x) => x.id.value === v);
      if (before.length === 0) {
        add('CAPABILITY_ADDED', m.id.name, `${nf.info} chain: new capability ${m.id.name} = ${v} (${m.record})`, { new: m.id.loc });
        continue;
      }
      // The same ID now stands for another struct (a renamed ID constant is reported as a rename).
      if (!before.some((x) => x.record === m.record)) {
        const b = before[0];
        add('CAPABILITY_ID_REUSED', m.id.name, `${nf.info} chain: ID ${v} was ${b.id.name} (${b.record}), now ${m.id.name} (${m.record})`, { old: b.id.loc, new: m.id.loc });
      }
    }
  }
}

/** Layouts equal on x86_64 and i386 before, different after: the compat case. */
export function compareAcrossAbis(old64: Model, old32: Model, new64: Model, new32: Model): Finding[] {
  const out: Finding[] = [];
  const sig = (m: Model, r: RecordModel) => `${r.layout.size}/${r.layout.align}/${flat(m, r).map((f) => `${f.path}@${f.offset}:${f.bitOffset ?? ''}`).join(',')}`;
  const by = (m: Model) => new Map(m.records.map((r) => [r.name, r]));
  const [o64, o32, n64, n32] = [by(old64), by(old32), by(new64), by(new32)];
  for (const [name, a] of n64) {
    const b = n32.get(name);
    const oa = o64.get(name);
    const ob = o32.get(name);
    if (!b || !oa || !ob) continue;
    if (sig(old64, oa) === sig(old32, ob) && sig(new64, a) !== sig(new32, b)) {
      out.push(finding('LAYOUT_DIVERGED_ACROSS_ABIS', name, `${a.cSpelling} was laid out alike on x86_64 and i386; now ${a.layout.size}/${a.layout.align} on x86_64 vs ${b.layout.size}/${b.layout.align} on i386 (size/align)`, { old: place(oa.loc), new: place(a.loc) }, 'x86_64+i386'));
    }
  }
  return out;
}
