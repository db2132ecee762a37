// C types as the model holds them. Typedefs are kept (a field declared `__u32` says so),
// and `resolve` looks through them when the layout or the arithmetic needs the real type.
import { Loc } from '../diagnostics.js';
import { Abi } from './abi.js';

export type IntName =
  | 'char' | 'signed char' | 'unsigned char' | '_Bool'
  | 'short' | 'unsigned short' | 'int' | 'unsigned int'
  | 'long' | 'unsigned long' | 'long long' | 'unsigned long long'
  | '__int128' | 'unsigned __int128';

export type CType =
  | { kind: 'int'; name: IntName }
  | { kind: 'float'; name: 'float' | 'double' | 'long double' | '__float128' }
  | { kind: 'void' }
  | { kind: 'pointer'; to: CType }
  /** `length` undefined: a flexible array member (`[]`) or an incomplete array. */
  | { kind: 'array'; of: CType; length?: bigint }
  | { kind: 'record'; record: RecordDecl }
  | { kind: 'enum'; decl: EnumDecl }
  /** `align`: from `__attribute__((aligned(N)))` on the typedef itself. */
  | { kind: 'typedef'; name: string; target: CType; align?: number }
  | { kind: 'function' };

export interface Member {
  /** Undefined for an anonymous struct/union member or an unnamed bit-field. */
  name?: string;
  type: CType;
  bitWidth?: number;
  /** From `aligned(N)` on the member. */
  aligned?: number;
  packed?: boolean;
  at: Loc;
}

export interface RecordDecl {
  kind: 'struct' | 'union';
  /** The tag; undefined for an untagged struct or union. */
  name?: string;
  /** Undefined while the record is only declared (`struct foo;`). */
  members?: Member[];
  packed: boolean;
  aligned?: number;
  /** `#pragma pack(N)` in force where the record was defined: caps member alignment at N. */
  maxFieldAlign?: number;
  at: Loc;
  endAt: Loc;
  /** The tag of the definition (or declaration): what a later redefinition points back at. */
  nameAt?: Loc;
}

export interface EnumDecl {
  name?: string;
  members: EnumMember[];
  /** The integer type gcc gives the enum (int unless the values need more). */
  type: IntName;
  packed: boolean;
  at: Loc;
  endAt: Loc;
  /** The tag of the definition (or declaration). */
  nameAt?: Loc;
}

export interface EnumMember {
  name: string;
  value: bigint;
  /** An enumerator that fits int has type int; gcc gives a larger one the enum's own type. */
  type: IntName;
  at: Loc;
}

export const int = (name: IntName): CType => ({ kind: 'int', name });

export function resolve(t: CType): CType {
  while (t.kind === 'typedef') t = t.target;
  return t;
}

/**
 * Whether two types are the same type, as a typedef redeclared must name it (C11 6.7p3):
 * through typedefs, with integer types by name (`long` is not `long long`, even where both
 * are 64 bits) and an enum not the same as the integer type under it, as gcc has it.
 * Qualifiers and function parameters are not modelled, so they never make two types differ.
 */
export function sameType(a: CType, b: CType): boolean {
  const x = resolve(a);
  const y = resolve(b);
  switch (x.kind) {
    case 'int':
    case 'float':
      return y.kind === x.kind && y.name === x.name;
    case 'void':
    case 'function':
      return y.kind === x.kind;
    case 'pointer':
      return y.kind === 'pointer' && sameType(x.to, y.to);
    case 'array':
      return y.kind === 'array' && y.length === x.length && sameType(x.of, y.of);
    case 'record':
      return y.kind === 'record' && y.record === x.record;
    case 'enum':
      return y.kind === 'enum' && y.decl === x.decl;
    case 'typedef':
      return false; // resolve() looked through every one
  }
}

/** C spelling of a type, as the model and the JSON show it (`struct vfio_region_info`, `__u32[4]`). */
export function typeToString(t: CType): string {
  switch (t.kind) {
    case 'int':
    case 'float':
      return t.name;
    case 'void':
      return 'void';
    case 'function':
      return 'function';
    case 'typedef':
      return t.name;
    case 'pointer':
      return `${typeToString(t.to)} *`;
    case 'array':
      return `${typeToString(t.of)}[${t.length ?? ''}]`;
    case 'record':
      return `${t.record.kind} ${t.record.name ?? '<anonymous>'}`;
    case 'enum':
      return `enum ${t.decl.name ?? '<anonymous>'}`;
  }
}

const RANK: Record<IntName, number> = {
  _Bool: 0, char: 1, 'signed char': 1, 'unsigned char': 1, short: 2, 'unsigned short': 2,
  int: 3, 'unsigned int': 3, long: 4, 'unsigned long': 4, 'long long': 5, 'unsigned long long': 5,
  __int128: 6, 'unsigned __int128': 6,
};

export function isUnsigned(name: IntName): boolean {
  return name.startsWith('unsigned') || name === '_Bool';
}

export function intBits(abi: Abi, name: IntName): number {
  return abi.scalars[name].size * 8;
}

export function intRange(abi: Abi, name: IntName): { min: bigint; max: bigint } {
  const bits = BigInt(intBits(abi, name));
  if (name === '_Bool') return { min: 0n, max: 1n };
  return isUnsigned(name) ? { min: 0n, max: (1n << bits) - 1n } : { min: -(1n << (bits - 1n)), max: (1n << (bits - 1n)) - 1n };
}

/** Wraps a value into the range of an integer type, as a conversion to it does on gcc. */
export function wrap(abi: Abi, name: IntName, v: bigint): bigint {
  if (name === '_Bool') return v === 0n ? 0n : 1n;
  const bits = intBits(abi, name);
  return isUnsigned(name) ? BigInt.asUintN(bits, v) : BigInt.asIntN(bits, v);
}

/** The integer promotions: on x86 every type ranked below int fits in int, whatever the ABI. */
export function promote(name: IntName): IntName {
  return RANK[name] < RANK.int ? 'int' : name;
}

const UNSIGNED_OF: Partial<Record<IntName, IntName>> = {
  int: 'unsigned int', long: 'unsigned long', 'long long': 'unsigned long long', __int128: 'unsigned __int128',
};

/** The usual arithmetic conversions (C 6.3.1.8) on two integer types. */
export function commonType(abi: Abi, a: IntName, b: IntName): IntName {
  a = promote(a);
  b = promote(b);
  if (a === b) return a;
  const ua = isUnsigned(a);
  const ub = isUnsigned(b);
  if (ua === ub) return RANK[a] >= RANK[b] ? a : b;
  const [u, s] = ua ? [a, b] : [b, a];
  if (RANK[u] >= RANK[s]) return u;
  if (intBits(abi, s) > intBits(abi, u)) return s;
  return UNSIGNED_OF[s] ?? s;
}

/** The type of an integer from its basic type keywords (`unsigned long int`). */
export function basicIntName(words: string[]): IntName | 'void' | 'float' | 'double' | 'long double' | '__float128' | undefined {
  const count = (w: string) => words.filter((x) => x === w).length;
  const longs = count('long');
  const unsigned = count('unsigned') > 0;
  const signed = count('signed') + count('__signed__') + count('__signed') > 0;
  if (count('void')) return 'void';
  if (count('__float128') || count('_Float128')) return '__float128';
  if (count('float')) return 'float';
  if (count('double')) return longs ? 'long double' : 'double';
  if (count('_Bool')) return '_Bool';
  if (count('__int128')) return unsigned ? 'unsigned __int128' : '__int128';
  if (count('char')) return unsigned ? 'unsigned char' : signed ? 'signed char' : 'char';
  if (count('short')) return unsigned ? 'unsigned short' : 'short';
  if (longs >= 2) return unsigned ? 'unsigned long long' : 'long long';
  if (longs === 1) return unsigned ? 'unsigned long' : 'long';
  if (count('int') || unsigned || signed) return unsigned ? 'unsigned int' : 'int';
  return undefined;
}
