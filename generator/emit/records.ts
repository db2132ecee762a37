// Records: an interface for the decoded value and a codec (size, align, per-field offset,
// decode/encode) under the C tag, both verbatim. Fields of anonymous members sit in the
// enclosing record, as C code reaches them; a flags field is typed by its family.
import { StructureKind, VariableDeclarationKind } from 'ts-morph';
import { RecordLayout } from '../model/layout.js';
import { RecordModel } from '../model/model.js';
import { CType, Member, RecordDecl, resolve } from '../model/types.js';
import { docs, EmitContext, familyKey, importName, runtime, where } from './context.js';

interface FlatField {
  name: string;
  member: Member;
  offset: number;
  bitOffset?: number;
  bitWidth?: number;
  /** A member of a union (or of an anonymous union inside a struct): absent when encoding another. */
  optional: boolean;
}

function flatFields(ctx: EmitContext, rec: RecordDecl, layout: RecordLayout, base: number, optional: boolean): FlatField[] {
  const out: FlatField[] = [];
  for (const f of layout.fields) {
    const t = resolve(f.member.type);
    if (!f.member.name) {
      if (t.kind === 'record' && t.record.members) {
        const inner = ctx.primary.declarations.layouts.record(t.record);
        out.push(...flatFields(ctx, t.record, inner, base + f.offset, optional || rec.kind === 'union' || t.record.kind === 'union'));
      }
      continue; // unnamed bit-fields are padding
    }
    out.push({
      name: f.member.name,
      member: f.member,
      offset: base + f.offset,
      bitOffset: f.bitOffset !== undefined ? base * 8 + f.bitOffset : undefined,
      bitWidth: f.bitWidth,
      optional: optional || rec.kind === 'union',
    });
  }
  return out;
}

/** Where an inline (untagged) record sits: the named record that holds it, and the field path to it. */
interface Owner {
  record: string;
  prefix: string;
}

/**
 * The width of a big-endian integer type: the kernel spells network byte order with the
 * typedefs __be16, __be32 and __be64 (checked by sparse as bitwise types). Their values
 * are numbers like any other; only the bytes are in the other order.
 */
function isBigEndian(t: CType): 16 | 32 | 64 | undefined {
  for (let x = t; x.kind === 'typedef'; x = x.target) {
    const m = /^__be(16|32|64)$/.exec(x.name);
    if (m) return Number(m[1]) as 16 | 32 | 64;
  }
  return undefined;
}

/** The codec and TS type of a C type, importing or emitting what it refers to. */
function codecOf(ctx: EmitContext, t: CType, owner: Owner): { codec: string; ts: string } {
  const r = resolve(t);
  const bigEndian = isBigEndian(t);
  if (bigEndian) return { codec: runtime(ctx, `u${bigEndian}be`), ts: bigEndian === 64 ? 'bigint' : 'number' };
  const layouts = ctx.primary.declarations.layouts;
  switch (r.kind) {
    case 'int':
    case 'enum': {
      const name = r.kind === 'int' ? r.name : r.decl.type;
      const size = ctx.primary.abi.scalars[name].size;
      const signed = !(name.startsWith('unsigned') || name === '_Bool');
      if (size === 16) return { codec: `${runtime(ctx, 'bytes')}(16)`, ts: 'Uint8Array' };
      const codec = runtime(ctx, `${signed ? 's' : 'u'}${size * 8}`);
      return { codec, ts: size === 8 ? 'bigint' : 'number' };
    }
    case 'float': {
      const size = ctx.primary.abi.scalars[r.name].size;
      if (size === 4 || size === 8) return { codec: runtime(ctx, `f${size * 8}`), ts: 'number' };
      return { codec: `${runtime(ctx, 'bytes')}(${size})`, ts: 'Uint8Array' };
    }
    case 'pointer':
      return ctx.primary.abi.scalars.pointer.size === 8 ? { codec: runtime(ctx, 'u64'), ts: 'bigint' } : { codec: runtime(ctx, 'u32'), ts: 'number' };
    case 'array': {
      const n = Number(r.length ?? 0n);
      const elem = resolve(r.of);
      if ((elem.kind === 'int' && ctx.primary.abi.scalars[elem.name].size === 1) || elem.kind === 'void') return { codec: `${runtime(ctx, 'bytes')}(${n})`, ts: 'Uint8Array' };
      const e = codecOf(ctx, r.of, owner);
      return { codec: `${runtime(ctx, 'array')}(${e.codec}, ${n})`, ts: `${/[|{ ]/.test(e.ts) ? `(${e.ts})` : e.ts}[]` };
    }
    case 'record': {
      if (r.record.name || ctx.primary.declarations.typedefNameOf.has(r.record)) {
        const name = recordReference(ctx, r.record);
        return { codec: name, ts: name };
      }
      const layout = layouts.record(r.record);
      const body = recordBody(ctx, r.record, layout, owner);
      return { codec: `${runtime(ctx, 'defineRecord')}<${body.ts}>(${body.spec(`${owner.record}.${owner.prefix.replace(/\.$/, '')}`)})`, ts: body.ts };
    }
    default:
      return { codec: `${runtime(ctx, 'bytes')}(${layouts.sizeOf(r)})`, ts: 'Uint8Array' };
  }
}

/** The name to refer to a named record by: emitted here, or imported from the unit that owns it. */
function recordReference(ctx: EmitContext, decl: RecordDecl): string {
  const name = ctx.primary.declarations.recordName(decl)!;
  const home = ctx.recordHome.get(name);
  if (home && home !== ctx.unit.name) return importName(ctx, `./${home}.js`, name);
  if (!ctx.emittedRecords.has(decl)) {
    // Not in any unit's headers (a dependency): emitted here, before its first use.
    const layout = ctx.primary.declarations.layouts.record(decl);
    emitRecord(ctx, { decl, name, cSpelling: ctx.primary.declarations.cSpelling(decl)!, layout, loc: decl.at });
  }
  return name;
}

/**
 * The sibling that counts a flexible array: `nr_X`, `num_X`, `n_X` or `X_count` written before
 * it, where X (less a plural s) starts the array's name (`nr_areas` counts `areas`, `nr_iovas`
 * counts `iova_ranges`), or exactly `n` + the array's name (`nregions` counts `regions`). A bare
 * `count` is not taken: in vfio_irq_set it counts IRQs, while the array holds bytes.
 */
function countFieldFor(field: string, before: string[]): string | undefined {
  return before.find((name) => {
    if (name === `n${field}`) return true;
    const m = /^(?:nr|num|n)_(\w+)$/.exec(name) ?? /^(\w+)_(?:count|num)$/.exec(name);
    if (!m) return false;
    const x = m[1].replace(/s$/, '');
    return x.length > 0 && field.startsWith(x);
  });
}

function recordBody(ctx: EmitContext, decl: RecordDecl, layout: RecordLayout, owner: Owner) {
  const families = new Map(ctx.primary.flagFamilies.filter((f) => f.record === owner.record).map((f) => [f.field, f]));
  const fields = flatFields(ctx, decl, layout, 0, false);
  const properties: { name: string; hasQuestionToken: boolean; type: string }[] = [];
  const specFields: string[] = [];
  const seen: string[] = [];
  for (const f of fields) {
    const t = resolve(f.member.type);
    const flexible = t.kind === 'array' && t.length === undefined;
    const path = owner.prefix + f.name;
    let { codec, ts } = codecOf(ctx, flexible ? (t as { of: CType }).of : f.member.type, { record: owner.record, prefix: `${path}.` });
    if (flexible) ts = `${/[|{ ]/.test(ts) ? `(${ts})` : ts}[]`;
    const fam = families.get(path);
    if (fam && ts === 'number' && f.bitWidth === undefined) ts = `${runtime(ctx, 'Flags')}<${JSON.stringify(familyKey(fam))}>`;
    if (f.bitWidth !== undefined) ts = 'number';
    properties.push({ name: f.name, hasQuestionToken: f.optional, type: ts });
    const parts = [`offset: ${f.offset}`, `codec: ${codec}`];
    if (f.bitWidth !== undefined) {
      const signed = t.kind === 'int' && !(t.name.startsWith('unsigned') || t.name === '_Bool');
      parts.push(`bitOffset: ${f.bitOffset}`, `bitWidth: ${f.bitWidth}`);
      if (signed) parts.push('signed: true');
    }
    if (flexible) {
      const countField = countFieldFor(f.name, seen);
      parts.push(`flexible: { ${countField ? `countField: ${JSON.stringify(countField)}` : ''} }`);
    }
    specFields.push(`${f.name}: { ${parts.join(', ')} }`);
    seen.push(f.name);
  }
  const ts = `{ ${properties.map((p) => `${p.name}${p.hasQuestionToken ? '?' : ''}: ${p.type}`).join('; ')} }`;
  return {
    ts,
    properties,
    spec: (name: string) =>
      `{ name: ${JSON.stringify(name)}, kind: '${decl.kind}', size: ${layout.size}, align: ${layout.align}, fields: { ${specFields.join(', ')} } }`,
  };
}

export function emitRecord(ctx: EmitContext, r: RecordModel): void {
  ctx.emittedRecords.add(r.decl);
  ctx.names.add(r.name);
  const body = recordBody(ctx, r.decl, r.layout, { record: r.name, prefix: '' });
  const origin = `${r.cSpelling} at ${where(r.loc)} (${r.layout.size} bytes, align ${r.layout.align} on ${ctx.primary.abi.name})`;
  ctx.statements.push(
    {
      kind: StructureKind.Interface,
      isExported: true,
      name: r.name,
      docs: docs(r.doc, origin),
      properties: body.properties,
    },
    {
      kind: StructureKind.VariableStatement,
      isExported: true,
      declarationKind: VariableDeclarationKind.Const,
      docs: docs(undefined, `${origin}: codec`),
      declarations: [{ name: r.name, type: `${runtime(ctx, 'RecordCodec')}<${r.name}>`, initializer: `${runtime(ctx, 'defineRecord')}<${r.name}>(${body.spec(r.name)})` }],
    },
  );
}

export function emitRecords(ctx: EmitContext): void {
  for (const r of ctx.primary.records) if (!ctx.emittedRecords.has(r.decl)) emitRecord(ctx, r);
}

/** Records whose layout differs on another ABI of the unit: their size, align and offsets there. */
export function emitAbiLayouts(ctx: EmitContext): void {
  for (const [abi, model] of Object.entries(ctx.models)) {
    if (!model || model === ctx.primary) continue;
    const rows: string[] = [];
    for (const r of model.records) {
      const p = ctx.primary.records.find((x) => x.name === r.name);
      if (!p) continue;
      const offsets = (l: RecordLayout) => l.fields.filter((f) => f.member.name).map((f) => `${f.member.name}: ${f.offset}`);
      const same = p.layout.size === r.layout.size && p.layout.align === r.layout.align && offsets(p.layout).join() === offsets(r.layout).join();
      if (!same) rows.push(`${r.name}: { size: ${r.layout.size}, align: ${r.layout.align}, offsets: { ${offsets(r.layout).join(', ')} } }`);
    }
    if (rows.length === 0) continue;
    const name = `${ctx.unit.name}_${abi}_layouts`;
    ctx.names.add(name);
    ctx.statements.push({
      kind: StructureKind.VariableStatement,
      isExported: true,
      declarationKind: VariableDeclarationKind.Const,
      docs: docs(`Records whose layout on ${abi} differs from ${ctx.primary.abi.name}'s (the codecs above): size, alignment and field offsets on ${abi}, checked against gcc.`, `the ${abi} model of ${ctx.unit.headers.join(', ')}`),
      declarations: [{ name, initializer: `{ ${rows.join(', ')} } as const` }],
    });
  }
}
