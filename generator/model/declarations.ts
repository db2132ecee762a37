// From parsed declarations to types: records, enums and typedefs in one file-scope
// namespace per translation unit, as C has it. Attributes (`packed`, `aligned(N)`) are
// applied where gcc applies them: to the record, the member or the typedef they follow.
import { Diagnostics, Loc } from '../diagnostics.js';
import { Attribute, Declaration, Declarator, DeclSpecs, EnumSpec, Expr, ExternalDeclaration, MemberDecl, RecordSpec, TypeName } from '../parse/ast.js';
import { Abi, predefinedBody } from './abi.js';
import { EvalError, EvalScope, evaluateInteger } from './evaluate.js';
import { Layouts } from './layout.js';
import { checkMembers } from './member-rules.js';
import { basicIntName, CType, EnumDecl, EnumMember, IntName, intRange, Member, RecordDecl, sameType, typeToString } from './types.js';

export interface TypedefDecl {
  name: string;
  type: CType;
  /** Undefined for the compiler's built-in typedefs. */
  at?: Loc;
}

/** What a typedef's type names, for a message. */
function typedefTarget(t: CType): CType {
  return t.kind === 'typedef' ? t.target : t;
}

export class Declarations {
  readonly typedefs = new Map<string, TypedefDecl>();
  readonly tags = new Map<string, RecordDecl | EnumDecl>();
  readonly enumConstants = new Map<string, EnumMember>();
  /** Every record and enum with a body, in source order. */
  readonly records: RecordDecl[] = [];
  readonly enums: EnumDecl[] = [];
  /** The typedef name of an untagged record (`typedef struct { ... } foo_t;`). */
  readonly typedefNameOf = new Map<RecordDecl | EnumDecl, string>();
  readonly layouts: Layouts;
  readonly scope: EvalScope;
  /** `#pragma pack` state: the current cap and the pushed ones. */
  private pack: number | undefined;
  private readonly packStack: (number | undefined)[] = [];
  /** The typedef names the parser knew at the end: what macro expansions are parsed with. */
  parserTypedefs = new Set<string>();

  constructor(
    readonly abi: Abi,
    private readonly diags: Diagnostics,
  ) {
    this.layouts = new Layouts(abi);
    this.scope = {
      abi,
      layouts: this.layouts,
      enumConstant: (name) => this.enumConstants.get(name),
      typeOf: (tn) => this.typeName(tn),
    };
    // gcc's built-in va_list; only glibc prototypes name it, and no UAPI record holds one.
    const vaList: CType = { kind: 'pointer', to: { kind: 'void' } };
    this.typedefs.set('__builtin_va_list', { name: '__builtin_va_list', type: vaList });
  }

  /** Names the parser must treat as type names. */
  static builtinTypedefNames(): string[] {
    return ['__builtin_va_list'];
  }

  add(items: ExternalDeclaration[]): void {
    for (const item of items) {
      if (item.k === 'pragmaPack') {
        this.pragmaPack(item.args, item.at);
        continue;
      }
      if (item.k === 'skipped') {
        this.diags.note('UG202', `${item.what}${item.name ? ` '${item.name}'` : ''} is outside the UAPI subset: skipped`, item.at);
        continue;
      }
      try {
        this.declaration(item);
      } catch (err) {
        if (!(err instanceof EvalError)) throw err;
        this.diags.error('UG301', err.message, err.at);
      }
    }
  }

  /** pack(N), pack(), pack(push[, N]), pack(pop[, N]) as gcc reads them. */
  private pragmaPack(args: string, at: Loc): void {
    const parts = args.split(',').map((x) => x.trim()).filter(Boolean);
    const num = parts.find((x) => /^\d+$/.test(x));
    const n = num === undefined ? undefined : Number(num);
    if (n !== undefined && (n === 0 || (n & (n - 1)) !== 0 || n > 16)) {
      this.diags.error('UG303', `#pragma pack(${args}): alignment must be a small power of two`, at);
      return;
    }
    if (parts[0] === 'push') {
      this.packStack.push(this.pack);
      if (n !== undefined) this.pack = n;
    } else if (parts[0] === 'pop') {
      this.pack = n ?? this.packStack.pop();
    } else {
      this.pack = n;
    }
  }

  private declaration(d: Declaration): void {
    const base = this.specsType(d.specs);
    const isTypedef = d.specs.storage.includes('typedef');
    for (const init of d.declarators) {
      const { name, type } = this.applyDeclarator(base, init.decl);
      if (!name) continue;
      if (isTypedef) {
        const attrs = this.attributes([...d.specs.attrs, ...init.attrs, ...init.decl.attrs]);
        const t: CType = { kind: 'typedef', name, target: type, align: attrs.aligned };
        const r = type.kind === 'record' ? type.record : type.kind === 'enum' ? type.decl : undefined;
        if (r && !r.name && !this.typedefNameOf.has(r)) this.typedefNameOf.set(r, name);
        const at = init.decl.at ?? d.at;
        const earlier = this.typedefs.get(name);
        if (earlier === undefined) this.typedefs.set(name, { name, type: t, at });
        // C11 lets a typedef be declared again naming the same type; the first stands.
        else if (!sameType(earlier.type, t)) this.redefinition(`redefinition of typedef '${name}' with a different type: '${typeToString(type)}', was '${typeToString(typedefTarget(earlier.type))}'`, at, earlier.at);
      } else if (type.kind === 'function') {
        this.diags.note('UG202', `function declaration '${name}' is outside the UAPI subset: skipped`, init.decl.at ?? d.at);
      } else {
        this.diags.note('UG202', `object ${init.initialized ? 'definition' : 'declaration'} '${name}' is outside the UAPI subset: skipped`, init.decl.at ?? d.at);
      }
    }
  }

  typeName(tn: TypeName): CType {
    const base = this.specsType(tn.specs);
    return tn.decl ? this.applyDeclarator(base, tn.decl).type : base;
  }

  specsType(specs: DeclSpecs): CType {
    if (specs.record) return this.recordType(specs.record);
    if (specs.enumSpec) return this.enumType(specs.enumSpec);
    if (specs.typedefName) {
      const t = this.typedefs.get(specs.typedefName);
      if (!t) throw new EvalError(`unknown type name '${specs.typedefName}'`, specs.at);
      return t.type;
    }
    if (specs.typeofOperand) throw new EvalError('__typeof__ is not supported in UAPI declarations', specs.at);
    const b = basicIntName(specs.basic);
    if (b === undefined) throw new EvalError(`cannot make a type of '${specs.basic.join(' ')}'`, specs.at);
    if (b === 'void') return { kind: 'void' };
    // gcc has __int128 only where it predefines __SIZEOF_INT128__: x86_64, not i386.
    if ((b === '__int128' || b === 'unsigned __int128') && predefinedBody(this.abi, '__SIZEOF_INT128__') === undefined) {
      throw new EvalError(`'__int128' is not supported on this target (${this.abi.name})`, specs.at);
    }
    if (b === 'float' || b === 'double' || b === 'long double' || b === '__float128') return { kind: 'float', name: b };
    return { kind: 'int', name: b };
  }

  /** Builds the declared type inside out: pointers bind looser than array and function suffixes. */
  applyDeclarator(base: CType, d: Declarator): { name?: string; type: CType } {
    let t = base;
    for (let k = 0; k < d.ptrs.length; k++) t = { kind: 'pointer', to: t };
    for (let k = d.suffixes.length - 1; k >= 0; k--) {
      const s = d.suffixes[k];
      if (s.k === 'function') t = { kind: 'function' };
      else {
        // Only the outermost bound may be left out: `char d[][4]`, never `char d[4][]`.
        if (t.kind === 'array' && t.length === undefined) this.diags.error('UG306', `array type has incomplete element type '${typeToString(t)}'`, d.at);
        t = { kind: 'array', of: t, length: s.size ? this.constant(s.size, 'array size', true) : undefined };
      }
    }
    if (d.inner) return this.applyDeclarator(t, d.inner);
    return { name: d.name, type: t };
  }

  private constant(e: Expr, what: string, nonNegative = false): bigint {
    try {
      const v = evaluateInteger(e, this.scope).v;
      if (nonNegative && v < 0n) throw new EvalError(`${what} is negative`, e.at);
      return v;
    } catch (err) {
      if (!(err instanceof EvalError)) throw err;
      this.diags.error('UG303', `${what} cannot be evaluated: ${err.message}`, err.at);
      return 0n;
    }
  }

  private attributes(list: Attribute[]): { packed: boolean; aligned?: number } {
    let packed = false;
    let aligned: number | undefined;
    for (const a of list) {
      if (a.name === 'packed') packed = true;
      if (a.name === 'aligned') {
        const arg = a.args?.[0];
        // Bare `aligned` means the largest alignment the target ever needs: 16 on x86.
        const n = arg && arg.k !== 'typeName' ? Number(this.constant(arg, 'alignment')) : 16;
        if (n <= 0 || (n & (n - 1)) !== 0) this.diags.error('UG303', `requested alignment ${n} is not a positive power of 2`, a.at);
        else aligned = Math.max(aligned ?? 0, n);
      }
    }
    return { packed, aligned };
  }

  private recordType(spec: RecordSpec): CType {
    const key = `${spec.kind} ${spec.name}`;
    if (spec.name) this.checkTagKind(spec.kind, spec.name, spec.nameAt);
    const existing = spec.name ? this.tags.get(key) : undefined;
    if (spec.members && (existing as RecordDecl | undefined)?.members) {
      // The first definition stands; the second's members are still checked for their own errors.
      this.redefinition(`redefinition of '${key}'`, spec.nameAt, existing!.nameAt);
      this.recordType({ ...spec, name: undefined });
      return { kind: 'record', record: existing as RecordDecl };
    }
    if (!spec.members) {
      if (existing) return { kind: 'record', record: existing as RecordDecl };
      const fwd: RecordDecl = { kind: spec.kind, name: spec.name, packed: false, at: spec.at, endAt: spec.endAt, nameAt: spec.nameAt };
      if (spec.name) this.tags.set(key, fwd);
      return { kind: 'record', record: fwd };
    }
    const rec: RecordDecl = existing && !(existing as RecordDecl).members ? (existing as RecordDecl) : { kind: spec.kind, name: spec.name, packed: false, at: spec.at, endAt: spec.endAt };
    rec.at = spec.at;
    rec.endAt = spec.endAt;
    rec.nameAt = spec.nameAt;
    if (spec.name) this.tags.set(key, rec);
    const attrs = this.attributes(spec.attrs);
    rec.packed = attrs.packed;
    rec.aligned = attrs.aligned;
    rec.maxFieldAlign = this.pack;
    const members: Member[] = [];
    for (const m of spec.members) {
      if (!m || (m as { k: string }).k !== 'member') continue;
      members.push(...this.members(m as MemberDecl));
    }
    rec.members = members;
    checkMembers(rec, members, this.abi, this.diags);
    this.records.push(rec);
    return { kind: 'record', record: rec };
  }

  private members(m: MemberDecl): Member[] {
    const base = this.specsType(m.specs);
    const specAttrs = m.specs.attrs;
    if (m.declarators.length === 0) {
      // An anonymous struct or union member: its members belong to the enclosing record.
      const t = base;
      if (t.kind === 'record' && !t.record.name) {
        const a = this.attributes(specAttrs);
        return [{ type: t, at: m.at, aligned: a.aligned, packed: a.packed }];
      }
      return [];
    }
    return m.declarators.map((d) => {
      const { name, type } = d.decl ? this.applyDeclarator(base, d.decl) : { name: undefined, type: base };
      const a = this.attributes([...specAttrs, ...(d.decl?.attrs ?? []), ...d.attrs]);
      const member: Member = { name, type, at: d.decl?.at ?? d.at, aligned: a.aligned, packed: a.packed || undefined };
      if (d.width) member.bitWidth = Number(this.constant(d.width, `width of bit-field '${name ?? '<unnamed>'}'`, true));
      return member;
    });
  }

  private enumType(spec: EnumSpec): CType {
    const key = `enum ${spec.name}`;
    if (spec.name) this.checkTagKind('enum', spec.name, spec.nameAt);
    const existing = spec.name ? (this.tags.get(key) as EnumDecl | undefined) : undefined;
    if (spec.members && existing && existing.members.length > 0) {
      this.redefinition(`redefinition of '${key}'`, spec.nameAt, existing.nameAt);
      return { kind: 'enum', decl: existing };
    }
    if (!spec.members) {
      if (existing) return { kind: 'enum', decl: existing };
      const fwd: EnumDecl = { name: spec.name, members: [], type: 'unsigned int', packed: false, at: spec.at, endAt: spec.endAt, nameAt: spec.nameAt };
      if (spec.name) this.tags.set(key, fwd);
      return { kind: 'enum', decl: fwd };
    }
    const decl: EnumDecl = existing ?? { name: spec.name, members: [], type: 'unsigned int', packed: false, at: spec.at, endAt: spec.endAt };
    decl.at = spec.at;
    decl.endAt = spec.endAt;
    decl.nameAt = spec.nameAt;
    decl.packed = this.attributes(spec.attrs).packed;
    if (spec.name) this.tags.set(key, decl);
    let next = 0n;
    const members: EnumMember[] = [];
    const intMax = intRange(this.abi, 'int');
    for (const m of spec.members) {
      const value = m.value ? this.constant(m.value, `value of enumerator '${m.name}'`) : next;
      // While the list is open, gcc gives an enumerator that does not fit int a wider type.
      const type: IntName = value >= intMax.min && value <= intMax.max ? 'int' : value > 0n && value <= 0xffffffffn ? 'unsigned int' : value < 0n ? 'long long' : 'unsigned long long';
      const member: EnumMember = { name: m.name, value, type, at: m.at };
      members.push(member);
      const earlier = this.enumConstants.get(m.name);
      if (earlier) this.redefinition(`redeclaration of enumerator '${m.name}'`, m.at, earlier.at);
      else this.enumConstants.set(m.name, member);
      next = value + 1n;
    }
    decl.members = members;
    decl.type = this.enumUnderlying(members.map((x) => x.value), decl.packed);
    // Once complete, an enumerator that did not fit int has the enumerated type (GNU C).
    for (const x of members) if (x.type !== 'int') x.type = decl.type;
    this.enums.push(decl);
    return { kind: 'enum', decl };
  }

  /** Struct, union and enum tags share one namespace: `union s` after `struct s` is an error. */
  private checkTagKind(kind: 'struct' | 'union' | 'enum', name: string, at: Loc): void {
    for (const other of ['struct', 'union', 'enum'] as const) {
      const earlier = other === kind ? undefined : this.tags.get(`${other} ${name}`);
      if (earlier) this.redefinition(`'${name}' defined as wrong kind of tag: ${kind} here, ${other} before`, at, earlier.nameAt);
    }
  }

  private redefinition(message: string, at: Loc, earlier: Loc | undefined): void {
    this.diags.report({ code: 'UG305', severity: 'error', message, loc: at, related: earlier && [{ message: 'the earlier one is here', loc: earlier }] });
  }

  private enumUnderlying(values: bigint[], packed: boolean): IntName {
    const min = values.reduce((a, b) => (b < a ? b : a), 0n);
    const max = values.reduce((a, b) => (b > a ? b : a), 0n);
    const fits = (t: IntName) => min >= intRange(this.abi, t).min && max <= intRange(this.abi, t).max;
    const order: IntName[] = packed
      ? ['unsigned char', 'signed char', 'unsigned short', 'short', 'unsigned int', 'int', 'unsigned long long', 'long long']
      : ['unsigned int', 'int', 'unsigned long', 'long', 'unsigned long long', 'long long'];
    return order.find(fits) ?? 'unsigned long long';
  }

  recordName(r: RecordDecl | EnumDecl): string | undefined {
    return r.name ?? this.typedefNameOf.get(r);
  }

  /** The name by which C code spells the type: `struct foo`, or the typedef of an untagged one. */
  cSpelling(r: RecordDecl): string | undefined {
    if (r.name) return `${r.kind} ${r.name}`;
    return this.typedefNameOf.get(r);
  }
}
