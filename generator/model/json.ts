// The model as a JSON document (`uapigen model --json`). Its shape is documented in
// README.md ("The model document"); integer values are decimal strings so 64-bit values
// survive JSON, sizes and offsets are bytes, bit offsets bits from the record start.
import { FieldLayout } from './layout.js';
import { Model } from './model.js';
import { resolve, typeToString } from './types.js';

export const MODEL_SCHEMA = 'uapigen-model/1';

export interface FieldJson {
  name: string;
  type: string;
  offset: number;
  size: number;
  bitOffset?: number;
  bitWidth?: number;
  /** The fields of an untagged struct or union member, offsets from the enclosing record. */
  fields?: FieldJson[];
}

/** Fields as C code reaches them: an anonymous member's fields belong to the enclosing record. */
export function fieldsJson(model: Model, fields: FieldLayout[], base = 0): FieldJson[] {
  const out: FieldJson[] = [];
  for (const f of fields) {
    const t = resolve(f.member.type);
    const inner = t.kind === 'record' && !t.record.name && t.record.members ? model.declarations.layouts.record(t.record) : undefined;
    if (!f.member.name) {
      if (inner) out.push(...fieldsJson(model, inner.fields, base + f.offset));
      continue;
    }
    const j: FieldJson = { name: f.member.name, type: typeToString(f.member.type), offset: base + f.offset, size: f.size };
    if (f.bitWidth !== undefined) {
      j.bitOffset = base * 8 + f.bitOffset!;
      j.bitWidth = f.bitWidth;
    }
    if (inner) j.fields = fieldsJson(model, inner.fields, base + f.offset);
    out.push(j);
  }
  return out;
}

/** Every field and nested field, parents before their children, with its dotted path (`payload.u64`). */
export function flattenFields(fields: FieldJson[], prefix = ''): { path: string; field: FieldJson }[] {
  return fields.flatMap((field) => {
    const path = prefix + field.name;
    return [{ path, field }, ...(field.fields ? flattenFields(field.fields, `${path}.`) : [])];
  });
}

const where = (loc: { file: { displayPath: string }; line: number }) => ({ file: loc.file.displayPath, line: loc.line });

export function modelToJson(model: Model): unknown {
  return {
    schema: MODEL_SCHEMA,
    abi: model.abi.name,
    headers: model.headers.map((h) => ({ path: h.displayPath, sha256: h.sha256 })),
    constants: model.constants.map((c) => ({
      name: c.name,
      kind: c.kind,
      value: typeof c.value === 'bigint' ? c.value.toString() : c.value,
      type: c.type,
      ...where(c.loc),
      ...(c.doc ? { doc: c.doc } : {}),
    })),
    records: model.records.map((r) => ({
      kind: r.decl.kind,
      name: r.name,
      cSpelling: r.cSpelling,
      size: r.layout.size,
      align: r.layout.align,
      ...(r.decl.packed ? { packed: true } : {}),
      ...where(r.loc),
      fields: fieldsJson(model, r.layout.fields),
      ...(r.doc ? { doc: r.doc } : {}),
    })),
    enums: model.enums.map((e) => ({
      name: e.name ?? null,
      type: e.decl.type,
      ...where(e.loc),
      members: e.decl.members.map((m) => ({ name: m.name, value: m.value.toString() })),
    })),
    typedefs: model.typedefs.map((t) => ({ name: t.name, type: typeToString(t.type.kind === 'typedef' ? t.type.target : t.type) })),
    flagFamilies: model.flagFamilies.map((f) => ({
      name: f.name,
      record: f.record,
      field: f.field,
      source: f.source,
      ...(f.namedBy ? { namedBy: { ref: f.namedBy.ref, ...where(f.namedBy.loc) } } : {}),
      encoding: f.encoding,
      members: f.members.map((m) => ({ name: m.constant.name, value: (m.constant.value as bigint).toString(), flag: m.flag.toString(), kind: m.kind })),
    })),
    ioctls: model.ioctls.map((i) => ({
      name: i.name,
      value: i.value.toString(),
      direction: i.decoded.direction,
      type: i.decoded.type,
      nr: i.decoded.nr,
      size: i.decoded.size,
      encoded: { macro: i.encoded.macro, typeArg: i.encoded.typeArg, nrArg: i.encoded.nrArg, ...(i.encoded.argType ? { argType: i.encoded.argType } : {}) },
      ...(i.declared
        ? { declared: { macro: i.declared.macro, direction: i.declared.direction, ...(i.declared.argType ? { argType: i.declared.argType } : {}), ...where(i.declared.loc) } }
        : {}),
      ...where(i.constant.loc),
    })),
    capabilities: model.capabilityFamilies.map((f) => ({
      info: f.info,
      header: f.header,
      members: f.members.map((m) => ({ id: m.id.name, value: (m.id.value as bigint).toString(), record: m.record, headerOnly: m.headerOnly })),
    })),
    apiStrings: model.apiStrings.map((f) => ({ prefix: f.prefix, suffix: f.suffix, members: f.members.map((m) => ({ name: m.name, value: m.value })) })),
    indexEnums: model.indexEnums.map((x) => ({
      name: x.name,
      kind: x.kind,
      count: x.count ?? null,
      members: x.members.map((m) => ({ name: m.name, value: m.value.toString() })),
      ...where(x.loc),
    })),
    otherMacros: model.otherMacros.map((m) => ({ name: m.name, reason: m.reason, functionLike: m.functionLike, ...where(m.loc) })),
  };
}

export function stringifyModel(model: Model): string {
  return JSON.stringify(modelToJson(model), null, 2) + '\n';
}
