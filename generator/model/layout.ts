// Record layout by the System V rules gcc follows on x86-64 and i386: natural alignment,
// bit-fields that never straddle a unit of their declared type, `packed` and `aligned(N)`,
// zero-size empty structs and flexible arrays (GNU C). `uapigen verify` checks every result
// against gcc.
import { DiagnosticCode, Loc } from '../diagnostics.js';
import { Abi } from './abi.js';
import { CType, Member, RecordDecl, resolve } from './types.js';

export interface FieldLayout {
  member: Member;
  /** Byte offset; for a bit-field, the byte holding its first bit. */
  offset: number;
  size: number;
  align: number;
  /** Bit-fields only: offset in bits from the start of the record, and width. */
  bitOffset?: number;
  bitWidth?: number;
}

export interface RecordLayout {
  size: number;
  align: number;
  fields: FieldLayout[];
}

export class LayoutError extends Error {
  constructor(
    message: string,
    readonly record?: RecordDecl,
    readonly code: DiagnosticCode = 'UG302',
    /** The member whose type could not be laid out, when it was one. */
    readonly at?: Loc,
  ) {
    super(message);
  }
}

const roundUp = (v: number, a: number) => Math.ceil(v / a) * a;

/**
 * Why an object of `bytes` bytes cannot be, or undefined when it can: gcc refuses one past
 * PTRDIFF_MAX ("size of array is too large"), and the model keeps sizes as numbers, exact only
 * up to 2^53 - 1, so one between the two (x86_64 only) is refused as uapigen's own limit.
 */
function tooLarge(abi: Abi, bytes: bigint): string | undefined {
  const ptrdiffMax = (1n << BigInt(abi.scalars.pointer.size * 8 - 1)) - 1n;
  if (bytes > ptrdiffMax) return `${bytes} bytes, past the ${abi.name} limit of ${ptrdiffMax} (PTRDIFF_MAX)`;
  if (bytes > BigInt(Number.MAX_SAFE_INTEGER)) return `${bytes} bytes, past the ${Number.MAX_SAFE_INTEGER} (2^53 - 1) that uapigen models exactly`;
  return undefined;
}

export class Layouts {
  private readonly records = new Map<RecordDecl, RecordLayout>();
  private readonly inProgress = new Set<RecordDecl>();

  constructor(readonly abi: Abi) {}

  sizeOf(t: CType): number {
    return this.sizeAlign(t).size;
  }
  alignOf(t: CType): number {
    return this.sizeAlign(t).align;
  }

  /** GNU `__alignof__`: like `_Alignof` except for scalars whose preferred alignment is larger. */
  preferredAlignOf(t: CType): number {
    if (t.kind === 'typedef' && t.align !== undefined) return t.align;
    const r = resolve(t);
    if (r.kind === 'int' || r.kind === 'float') return this.abi.preferredAlign[r.name] ?? this.abi.scalars[r.name].align;
    return this.alignOf(t);
  }

  sizeAlign(t: CType): { size: number; align: number } {
    switch (t.kind) {
      case 'int':
      case 'float':
        return this.abi.scalars[t.name];
      case 'pointer':
        return this.abi.scalars.pointer;
      case 'enum': {
        if (t.decl.members.length === 0 && !t.decl.name) throw new LayoutError('incomplete enum type');
        return this.abi.scalars[t.decl.type];
      }
      case 'typedef': {
        const inner = this.sizeAlign(t.target);
        return t.align !== undefined ? { size: inner.size, align: t.align } : inner;
      }
      case 'array': {
        const e = this.sizeAlign(t.of);
        const bytes = t.length === undefined ? 0n : BigInt(e.size) * t.length;
        const why = tooLarge(this.abi, bytes);
        if (why) throw new LayoutError(`size of array is too large: ${why}`, undefined, 'UG307');
        return { size: Number(bytes), align: e.align };
      }
      case 'record': {
        const l = this.record(t.record);
        return { size: l.size, align: l.align };
      }
      case 'void':
        // GNU C: sizeof(void) is 1.
        return { size: 1, align: 1 };
      case 'function':
        throw new LayoutError('a function type has no size');
    }
  }

  record(rec: RecordDecl): RecordLayout {
    const done = this.records.get(rec);
    if (done) return done;
    if (!rec.members) throw new LayoutError(`${rec.kind} ${rec.name ?? '<anonymous>'} is incomplete`, rec);
    if (this.inProgress.has(rec)) throw new LayoutError(`${rec.kind} ${rec.name ?? '<anonymous>'} contains itself`, rec);
    this.inProgress.add(rec);
    try {
      const l = rec.kind === 'union' ? this.layoutUnion(rec, rec.members) : this.layoutStruct(rec, rec.members);
      const why = tooLarge(this.abi, BigInt(l.size));
      if (why) throw new LayoutError(`type '${rec.kind} ${rec.name ?? '<anonymous>'}' is too large: ${why}`, rec, 'UG307');
      this.records.set(rec, l);
      return l;
    } finally {
      this.inProgress.delete(rec);
    }
  }

  /**
   * A member's size and alignment. A failure is put at the member (`field 'x': struct nope is
   * incomplete`), as gcc puts it, unless it already has a place deeper in.
   */
  private memberSizeAlign(m: Member): { size: number; align: number } {
    try {
      return this.sizeAlign(m.type);
    } catch (e) {
      if (!(e instanceof LayoutError) || e.at) throw e;
      throw new LayoutError(`field '${m.name ?? '<anonymous>'}': ${e.message}`, e.record, e.code, m.at);
    }
  }

  private memberAlign(rec: RecordDecl, m: Member, natural: number): number {
    let a = rec.packed || m.packed ? 1 : natural;
    if (m.aligned !== undefined) a = Math.max(a, m.aligned);
    if (rec.maxFieldAlign !== undefined) a = Math.min(a, rec.maxFieldAlign);
    return a;
  }

  private layoutStruct(rec: RecordDecl, members: Member[]): RecordLayout {
    let bitpos = 0;
    let align = 1;
    const fields: FieldLayout[] = [];
    for (const m of members) {
      const { size, align: natural } = this.memberSizeAlign(m);
      const fieldAlign = this.memberAlign(rec, m, natural);
      if (m.bitWidth !== undefined) {
        const w = m.bitWidth;
        const unitBits = size * 8;
        if (w === 0) {
          // A zero-width bit-field moves on to the next unit of its type.
          bitpos = roundUp(bitpos, natural * 8);
          continue;
        }
        // The field must fit in one unit of its type, counted from the last boundary of the
        // type's (possibly #pragma-pack-capped) alignment; else it starts at the next boundary.
        const alignBits = fieldAlign * 8;
        if (!(rec.packed || m.packed) && bitpos + w > Math.floor(bitpos / alignBits) * alignBits + unitBits) {
          bitpos = roundUp(bitpos, alignBits);
        }
        if (m.aligned !== undefined) bitpos = roundUp(bitpos, m.aligned * 8);
        fields.push({ member: m, offset: Math.floor(bitpos / 8), size, align: fieldAlign, bitOffset: bitpos, bitWidth: w });
        bitpos += w;
        // Unnamed bit-fields do not affect the alignment of the struct (x86 psABI).
        if (m.name !== undefined) align = Math.max(align, fieldAlign);
        continue;
      }
      bitpos = roundUp(bitpos, fieldAlign * 8);
      fields.push({ member: m, offset: bitpos / 8, size, align: fieldAlign });
      bitpos += size * 8;
      align = Math.max(align, fieldAlign);
    }
    if (rec.aligned !== undefined) align = Math.max(align, rec.aligned);
    return { size: roundUp(Math.ceil(bitpos / 8), align), align, fields };
  }

  private layoutUnion(rec: RecordDecl, members: Member[]): RecordLayout {
    let size = 0;
    let align = 1;
    const fields: FieldLayout[] = [];
    for (const m of members) {
      const { size: s, align: natural } = this.memberSizeAlign(m);
      const fieldAlign = this.memberAlign(rec, m, natural);
      if (m.bitWidth !== undefined) {
        if (m.bitWidth === 0) continue;
        fields.push({ member: m, offset: 0, size: s, align: fieldAlign, bitOffset: 0, bitWidth: m.bitWidth });
        size = Math.max(size, Math.ceil(m.bitWidth / 8));
        if (m.name !== undefined) align = Math.max(align, fieldAlign);
        continue;
      }
      fields.push({ member: m, offset: 0, size: s, align: fieldAlign });
      size = Math.max(size, s);
      align = Math.max(align, fieldAlign);
    }
    if (rec.aligned !== undefined) align = Math.max(align, rec.aligned);
    return { size: roundUp(size, align), align, fields };
  }

  /** True when the type is complete enough to have a size. */
  isComplete(t: CType): boolean {
    const r = resolve(t);
    if (r.kind === 'record') return r.record.members !== undefined;
    if (r.kind === 'array') return r.length !== undefined && this.isComplete(r.of);
    return r.kind !== 'function';
  }
}
