// One context object passed to every emitter: the unit, its models, the names already taken,
// the imports gathered, and where each record lives. No globals.
import { StatementStructures } from 'ts-morph';
import { AbiName } from '../model/abi.js';
import { FlagFamily, Model } from '../model/model.js';
import { RecordDecl } from '../model/types.js';
import { Unit } from '../manifest.js';

export interface EmitContext {
  unit: Unit;
  /** The model per ABI; codecs use the first ABI of the unit (the primary one). */
  models: Partial<Record<AbiName, Model>>;
  primary: Model;
  /** Module specifier of the runtime entry, relative to the output file. */
  runtimeImport: string;
  /** Which unit defines each named record; records of no unit are emitted where used. */
  recordHome: Map<string, string>;
  /** Flag families bound to another unit's field that this unit's constants belong to. */
  externalFlagMembers: Map<string, string>;
  /** Names emitted so far in this file. */
  names: Set<string>;
  imports: Map<string, Set<string>>;
  statements: StatementStructures[];
  /** Records emitted (or being emitted) in this file. */
  emittedRecords: Set<RecordDecl>;
}

export function importName(ctx: EmitContext, module: string, name: string): string {
  const set = ctx.imports.get(module) ?? new Set<string>();
  set.add(name);
  ctx.imports.set(module, set);
  return name;
}

export function runtime(ctx: EmitContext, name: string): string {
  return importName(ctx, ctx.runtimeImport, name);
}

/** `record.field`: the brand of a flag family, also its key in the runtime. */
export function familyKey(f: { record: string; field: string }): string {
  return `${f.record}.${f.field}`;
}

/**
 * The naming rule: every C identifier is emitted verbatim (constants, records, fields,
 * enumerators), so grepping the C name finds it. Names uapigen adds are derived from C names:
 * a flag family is its members' prefix without the trailing underscore (`VFIO_REGION_INFO_FLAG`),
 * an API string family likewise (`VFIO_DEVICE_API`), an index enum its model name, a capability
 * chain `<info>_capabilities`, the unit's ioctl table `<unit>_ioctls`. Where a derived name is
 * already taken, `_FAMILY` (or `_TABLE`) is appended; where that is taken too, the name of what
 * it belongs to (`fallback`: a family's record and field, `VIRTIO_CRYPTO_HASH_SESSION_PARA_ALGO`),
 * then that with the suffix, then the suffixed name numbered from 2, so that no two declarations
 * share one. Families that share a prefix are named by record and field from the start
 * (flag-families.ts).
 */
export function derivedName(ctx: EmitContext, base: string, suffix: string, fallback?: string): string {
  const trim = (n: string) => n.replace(/_+$/, '');
  const candidates = [trim(base), trim(base) + suffix, ...(fallback ? [trim(fallback), trim(fallback) + suffix] : [])];
  let name = candidates.find((n) => /^[A-Za-z_$]/.test(n) && !ctx.names.has(n));
  for (let k = 2; name === undefined; k++) if (!ctx.names.has(`${candidates[1]}_${k}`)) name = `${candidates[1]}_${k}`;
  ctx.names.add(name);
  return name;
}

export function familyOfConstant(families: FlagFamily[]): Map<string, FlagFamily> {
  const m = new Map<string, FlagFamily>();
  for (const f of families) for (const x of f.members) m.set(x.constant.name, f);
  return m;
}

/** A TSDoc comment: the header's own comment, then where the declaration came from. */
export function docs(text: string | undefined, origin: string): string[] {
  const body = (text ?? '').replace(/\*\//g, '* /').trim();
  return [body ? `${body}\n\n@generated from ${origin}` : `@generated from ${origin}`];
}

export function where(loc: { file: { displayPath: string }; line: number }): string {
  return `${loc.file.displayPath}:${loc.line}`;
}
