// The codec primitives that generated bindings are written against: the one runtime entry
// generated/ imports. It is versioned in its name: a change that would alter what existing
// bindings mean goes into codegen-v2, so old bindings stop compiling instead of misbehaving.
//
// Byte order is little-endian, the kernel ABI on x86. Integers of 64 bits decode to bigint
// (a u64 does not fit a JS number); every narrower integer decodes to number.

export const CODEGEN_VERSION = 1;

/** Raised when bytes cannot be decoded as asked: a view too short, a flexible array without a count. */
export class CodecError extends Error {
  override name = 'CodecError';
}

export interface DecodeOptions {
  /** Element counts of flexible array members, by field name, where no sibling field gives them. */
  counts?: Record<string, number>;
}

export interface Codec<T> {
  readonly size: number;
  readonly align: number;
  decode(view: DataView, offset: number, options?: DecodeOptions): T;
  encode(value: T, view: DataView, offset: number): void;
}

function need(view: DataView, offset: number, size: number, what: string): void {
  if (offset < 0 || offset + size > view.byteLength) {
    throw new CodecError(`${what}: ${size} bytes at offset ${offset} run past the ${view.byteLength}-byte buffer`);
  }
}

function scalar<T>(size: number, align: number, get: (v: DataView, o: number) => T, set: (v: DataView, o: number, x: T) => void, what: string, fits: (x: T) => boolean = () => true): Codec<T> {
  return {
    size,
    align,
    decode: (view, offset) => {
      need(view, offset, size, what);
      return get(view, offset);
    },
    encode: (value, view, offset) => {
      need(view, offset, size, what);
      if (!fits(value)) throw new RangeError(`${what}: ${String(value)} does not fit`);
      set(view, offset, value);
    },
  };
}

// An integer that does not fit its field is refused, not stored wrapped: DataView keeps the low
// bits of 2^32 + 5 (5), of 1.5 (1) and of NaN (0), which would send the kernel another number
// than the one given, without a word. Negative values go in signed fields only.
const BITS_PER_BYTE = 8;
function intFits(bytes: number, signed: boolean): (x: number) => boolean {
  const bits = bytes * BITS_PER_BYTE;
  const min = signed ? -(2 ** (bits - 1)) : 0;
  const max = signed ? 2 ** (bits - 1) - 1 : 2 ** bits - 1;
  return (x) => Number.isInteger(x) && x >= min && x <= max;
}
const bigFits = (signed: boolean) => (x: bigint) => typeof x === 'bigint' && (signed ? BigInt.asIntN(64, x) : BigInt.asUintN(64, x)) === x;

export const u8 = scalar(1, 1, (v, o) => v.getUint8(o), (v, o, x: number) => v.setUint8(o, x), 'u8', intFits(1, false));
export const s8 = scalar(1, 1, (v, o) => v.getInt8(o), (v, o, x: number) => v.setInt8(o, x), 's8', intFits(1, true));
export const u16 = scalar(2, 2, (v, o) => v.getUint16(o, true), (v, o, x: number) => v.setUint16(o, x, true), 'u16', intFits(2, false));
export const s16 = scalar(2, 2, (v, o) => v.getInt16(o, true), (v, o, x: number) => v.setInt16(o, x, true), 's16', intFits(2, true));
export const u32 = scalar(4, 4, (v, o) => v.getUint32(o, true), (v, o, x: number) => v.setUint32(o, x, true), 'u32', intFits(4, false));
export const s32 = scalar(4, 4, (v, o) => v.getInt32(o, true), (v, o, x: number) => v.setInt32(o, x, true), 's32', intFits(4, true));
export const f32 = scalar(4, 4, (v, o) => v.getFloat32(o, true), (v, o, x: number) => v.setFloat32(o, x, true), 'f32');
/** `align` is the x86_64 one; a record's layout gives each field its real offset per ABI. */
export const u64 = scalar(8, 8, (v, o) => v.getBigUint64(o, true), (v, o, x: bigint) => v.setBigUint64(o, x, true), 'u64', bigFits(false));
export const s64 = scalar(8, 8, (v, o) => v.getBigInt64(o, true), (v, o, x: bigint) => v.setBigInt64(o, x, true), 's64', bigFits(true));
export const f64 = scalar(8, 8, (v, o) => v.getFloat64(o, true), (v, o, x: number) => v.setFloat64(o, x, true), 'f64');

/**
 * Network byte order, for fields the header types `__be16`, `__be32` or `__be64` (sparse's
 * bitwise types): the value is the number itself, the bytes are big-endian.
 */
export const u16be = scalar(2, 2, (v, o) => v.getUint16(o, false), (v, o, x: number) => v.setUint16(o, x, false), 'u16be', intFits(2, false));
export const u32be = scalar(4, 4, (v, o) => v.getUint32(o, false), (v, o, x: number) => v.setUint32(o, x, false), 'u32be', intFits(4, false));
export const u64be = scalar(8, 8, (v, o) => v.getBigUint64(o, false), (v, o, x: bigint) => v.setBigUint64(o, x, false), 'u64be', bigFits(false));

/** A fixed-length array; arrays of bytes decode to a Uint8Array copy. */
export function array<T>(elem: Codec<T>, length: number): Codec<T[]> {
  return {
    size: elem.size * length,
    align: elem.align,
    decode: (view, offset) => {
      need(view, offset, elem.size * length, 'array');
      return Array.from({ length }, (_, k) => elem.decode(view, offset + k * elem.size));
    },
    encode: (value, view, offset) => {
      for (let k = 0; k < length; k++) elem.encode(value[k] ?? zeroOf(elem), view, offset + k * elem.size);
    },
  };
}

export function bytes(length: number): Codec<Uint8Array> {
  return {
    size: length,
    align: 1,
    decode: (view, offset) => {
      need(view, offset, length, 'bytes');
      return new Uint8Array(view.buffer.slice(view.byteOffset + offset, view.byteOffset + offset + length));
    },
    encode: (value, view, offset) => {
      need(view, offset, length, 'bytes');
      new Uint8Array(view.buffer, view.byteOffset + offset, length).set(value.subarray(0, length));
    },
  };
}

function zeroOf<T>(c: Codec<T>): T {
  const view = new DataView(new ArrayBuffer(Math.max(c.size, 8)));
  return c.decode(view, 0);
}

// ---- Flags --------------------------------------------------------------------------------

declare const FAMILY: unique symbol;
/** A value of one flag family: a number that only that family's members and helpers produce. */
export type Flags<F extends string> = number & { readonly [FAMILY]: F };

export type FlagKind = 'bit' | 'mask' | 'value';

/**
 * How a family's members make up the field: `flags` combined by bits, or `values` one at a time
 * (`VIRTIO_NET_HASH_REPORT_UDPv4` is 3, not IPv4 and TCPv4), with any members of kind `bit`
 * as flags that go with any value (`VIRTIO_NET_HDR_GSO_ECN`).
 */
export type FlagsEncoding = 'flags' | 'values';

export interface FlagFamily<F extends string, M extends Record<string, Flags<F>>> {
  /** `record.field` in C: `vfio_region_info.flags`. */
  readonly family: F;
  readonly members: M;
  readonly kinds: { readonly [K in keyof M]: FlagKind };
  readonly encoding: FlagsEncoding;
  /** No flags set. */
  readonly none: Flags<F>;
  /** The union of members of this family; anything else is a compile error. */
  of(...flags: Flags<F>[]): Flags<F>;
  encode(names: readonly (keyof M & string)[]): Flags<F>;
  /**
   * Names of the single-bit members set, and the bits no member names (reported, not dropped).
   * In a family of values: the member the value equals once its `bit` members are taken out,
   * then those bits' names; a value no member equals is unknown whole.
   */
  decode(value: number): { names: (keyof M & string)[]; unknown: number };
  /** Whether `flag` is set in `value`; in a family of values, whether `value` is that value (with any of its bits). */
  has(value: Flags<F> | number, flag: Flags<F>): boolean;
  /** Accepts a raw number from outside (the kernel's answer) as a value of this family. */
  from(value: number): Flags<F>;
}

/**
 * A flag family for generated code. `encoding` is given for families of values; without it a
 * family whose members are all of kind `value` is one (as code generated before it was said).
 */
export function defineFlags<F extends string, M extends Record<string, Flags<F>>>(
  family: F,
  members: M,
  kinds: { [K in keyof M]: FlagKind },
  encoding?: FlagsEncoding,
): FlagFamily<F, M> {
  const names = Object.keys(members) as (keyof M & string)[];
  const bits = names.filter((n) => kinds[n] === 'bit');
  const known = bits.reduce((a, n) => a | members[n], 0) >>> 0;
  const encodedAs = encoding ?? (names.length > 0 && names.every((n) => kinds[n] === 'value') ? 'values' : 'flags');
  const bitsSet = (value: number) => bits.filter((n) => (value & members[n]) === members[n]);
  const decodeValue = (value: number) => {
    const rest = (value & ~known) >>> 0;
    const name = names.find((n) => kinds[n] !== 'bit' && members[n] === rest);
    const set = bitsSet(value);
    return name === undefined ? { names: set, unknown: rest } : { names: [name, ...set], unknown: 0 };
  };
  const isBit = (flag: number) => flag !== 0 && (flag & known) === flag;
  return {
    family,
    members,
    kinds,
    encoding: encodedAs,
    none: 0 as Flags<F>,
    of: (...flags) => (flags.reduce((a, f) => a | f, 0) >>> 0) as Flags<F>,
    encode: (list) => {
      let v = 0;
      for (const n of list) {
        if (!(n in members)) throw new CodecError(`${family}: no flag named ${String(n)}`);
        v |= members[n];
      }
      return (v >>> 0) as Flags<F>;
    },
    decode: (value) => (encodedAs === 'values' ? decodeValue(value) : { names: bitsSet(value), unknown: (value & ~known) >>> 0 }),
    has: (value, flag) => (encodedAs === 'values' && !isBit(flag) ? ((value & ~known) >>> 0) === flag >>> 0 : (value & flag) === flag),
    from: (value) => (value >>> 0) as Flags<F>,
  };
}

// ---- Records --------------------------------------------------------------------------------

export interface FieldSpec {
  offset: number;
  codec: Codec<any>;
  /** Bit-fields: bit offset from the start of the record, and width. */
  bitOffset?: number;
  bitWidth?: number;
  signed?: boolean;
  /** Flexible array member: elements follow at `offset`; the count comes from this sibling or the caller. */
  flexible?: { countField?: string };
}

export interface RecordCodec<T> extends Codec<T> {
  readonly name: string;
  readonly kind: 'struct' | 'union';
  readonly fields: { readonly [K in keyof T]-?: FieldSpec };
  offsetOf(field: keyof T & string): number;
  /** A value with every field zero, to fill in. */
  zero(): T;
  /** Encodes into a fresh buffer of `size` bytes (plus flexible elements). */
  toBytes(value: T): Uint8Array;
  fromBytes(bytes: Uint8Array, options?: DecodeOptions): T;
}

function readBits(view: DataView, bitOffset: number, width: number, signed: boolean): number {
  let v = 0n;
  const first = Math.floor(bitOffset / 8);
  const last = Math.floor((bitOffset + width - 1) / 8);
  for (let b = last; b >= first; b--) v = (v << 8n) | BigInt(view.getUint8(b));
  v = (v >> BigInt(bitOffset - first * 8)) & ((1n << BigInt(width)) - 1n);
  if (signed && v >> BigInt(width - 1)) v -= 1n << BigInt(width);
  return Number(v);
}

/** Whether `value` is an integer a bit-field of `width` bits holds. */
function bitsFit(value: number, width: number, signed: boolean): boolean {
  if (!Number.isInteger(value)) return false;
  return signed ? value >= -(2 ** (width - 1)) && value < 2 ** (width - 1) : value >= 0 && value < 2 ** width;
}

function writeBits(view: DataView, bitOffset: number, width: number, value: number): void {
  const first = Math.floor(bitOffset / 8);
  const last = Math.floor((bitOffset + width - 1) / 8);
  let word = 0n;
  for (let b = last; b >= first; b--) word = (word << 8n) | BigInt(view.getUint8(b));
  const shift = BigInt(bitOffset - first * 8);
  const mask = ((1n << BigInt(width)) - 1n) << shift;
  word = (word & ~mask) | ((BigInt.asUintN(width, BigInt(value)) << shift) & mask);
  for (let b = first; b <= last; b++, word >>= 8n) view.setUint8(b, Number(word & 0xffn));
}

/** Bit range a field covers from the record's start; a flexible array has no end. */
function bitRange(f: FieldSpec): [number, number] {
  if (f.bitWidth !== undefined) return [f.bitOffset!, f.bitOffset! + f.bitWidth];
  return [f.offset * 8, f.flexible ? Infinity : (f.offset + f.codec.size) * 8];
}

/** For each field that shares bits with earlier fields (members of one union), those fields. */
function overlapsOf(fields: FieldSpec[]): Map<number, number[]> {
  const out = new Map<number, number[]>();
  const ranges = fields.map(bitRange);
  ranges.forEach(([lo, hi], i) => {
    const earlier = ranges.flatMap(([a, b], j) => (j < i && a < hi && lo < b ? [j] : []));
    if (earlier.length) out.set(i, earlier);
  });
  return out;
}

/** Whether a decoded value says what was given (members the caller left out agree with anything). */
function agrees(given: unknown, decoded: unknown): boolean {
  if (given === undefined) return true;
  if (given instanceof Uint8Array) return decoded instanceof Uint8Array && given.length === decoded.length && given.every((x, k) => x === decoded[k]);
  if (Array.isArray(given)) return Array.isArray(decoded) && given.length === decoded.length && given.every((x, k) => agrees(x, decoded[k]));
  if (typeof given === 'object' && given !== null) return typeof decoded === 'object' && decoded !== null && Object.entries(given).every(([k, x]) => agrees(x, (decoded as Record<string, unknown>)[k]));
  return given === decoded;
}

export function defineRecord<T>(spec: { name: string; kind: 'struct' | 'union'; size: number; align: number; fields: { [K in keyof T]-?: FieldSpec } }): RecordCodec<T> {
  const entries = Object.entries(spec.fields) as [keyof T & string, FieldSpec][];
  const clashes = overlapsOf(entries.map(([, f]) => f));
  const flexCount = (value: T, name: string) => (value[name as keyof T] as unknown[] | undefined)?.length ?? 0;
  const codec: RecordCodec<T> = {
    name: spec.name,
    kind: spec.kind,
    size: spec.size,
    align: spec.align,
    fields: spec.fields,
    offsetOf: (field) => spec.fields[field].offset,
    decode(view, offset, options) {
      need(view, offset, spec.size, spec.name);
      const out = {} as Record<string, unknown>;
      for (const [name, f] of entries) {
        if (f.bitWidth !== undefined) out[name] = readBits(new DataView(view.buffer, view.byteOffset + offset), f.bitOffset!, f.bitWidth, !!f.signed);
        else if (f.flexible) {
          const sibling = f.flexible.countField !== undefined ? out[f.flexible.countField] : undefined;
          const count = options?.counts?.[name] ?? (typeof sibling === 'number' ? sibling : typeof sibling === 'bigint' ? Number(sibling) : undefined);
          if (count === undefined) throw new CodecError(`${spec.name}.${name}: flexible array needs a count (options.counts.${name})`);
          const elem = f.codec;
          need(view, offset + f.offset, elem.size * count, `${spec.name}.${name}[${count}]`);
          out[name] = Array.from({ length: count }, (_, k) => elem.decode(view, offset + f.offset + k * elem.size));
        } else out[name] = f.codec.decode(view, offset + f.offset, options);
      }
      return out as T;
    },
    encode(value, view, offset) {
      need(view, offset, spec.size, spec.name);
      const given = clashes.size ? new Set<number>() : undefined;
      entries.forEach(([name, f], i) => {
        const v = value[name as keyof T];
        if (v === undefined) return; // a union's other members; a struct's fields are all present
        try {
          if (f.bitWidth !== undefined) {
            if (!bitsFit(v as number, f.bitWidth, !!f.signed)) throw new RangeError(`${String(v)} does not fit ${f.bitWidth} ${f.signed ? 'signed' : 'unsigned'} bits`);
            writeBits(new DataView(view.buffer, view.byteOffset + offset), f.bitOffset!, f.bitWidth, v as number);
          } else if (f.flexible) (v as unknown[]).forEach((e, k) => f.codec.encode(e, view, offset + f.offset + k * f.codec.size));
          else f.codec.encode(v, view, offset + f.offset);
        } catch (e) {
          // The field's name, before what the value did not fit: a record inside a record adds its own.
          throw e instanceof RangeError ? new RangeError(`${spec.name}.${name}: ${e.message}`) : e;
        }
        // Two members of one union were both given: each earlier one must still read back as given.
        for (const j of (given && clashes.get(i)) ?? []) {
          const [other, g] = entries[j];
          if (!given!.has(j) || g.flexible) continue;
          const now = g.bitWidth !== undefined ? readBits(new DataView(view.buffer, view.byteOffset + offset), g.bitOffset!, g.bitWidth, !!g.signed) : g.codec.decode(view, offset + g.offset);
          if (!agrees(value[other as keyof T], now)) throw new CodecError(`${spec.name}: ${name} and ${other} share bytes and disagree; give one of them`);
        }
        given?.add(i);
      });
    },
    zero() {
      const value = codec.decode(new DataView(new ArrayBuffer(spec.size)), 0, { counts: Object.fromEntries(entries.filter(([, f]) => f.flexible).map(([n]) => [n, 0])) });
      // As C's `= {0}`: a union's first member only, so that filling in that member is enough.
      for (const i of clashes.keys()) delete (value as Record<string, unknown>)[entries[i][0]];
      return value;
    },
    toBytes(value) {
      let extra = 0;
      for (const [name, f] of entries) if (f.flexible) extra = Math.max(extra, f.offset + flexCount(value, name) * f.codec.size - spec.size);
      const out = new Uint8Array(spec.size + Math.max(0, extra));
      codec.encode(value, new DataView(out.buffer), 0);
      return out;
    },
    fromBytes(b, options) {
      return codec.decode(new DataView(b.buffer, b.byteOffset, b.byteLength), 0, options);
    },
  };
  return codec;
}

// ---- Capability chains and ioctls -------------------------------------------------------------

export interface CapabilityChain {
  /** The info struct whose `cap_offset` starts the chain. */
  readonly info: RecordCodec<any>;
  /** The struct every capability starts with: its fields are id, version and next. */
  readonly header: RecordCodec<any>;
  /** Capability ID to the struct that carries it, and to its C name. */
  readonly byId: ReadonlyMap<number, { name: string; codec: RecordCodec<any> }>;
}

export function defineCapabilityChain(spec: { info: RecordCodec<any>; header: RecordCodec<any>; ids: Record<number, { name: string; codec: RecordCodec<any> }> }): CapabilityChain {
  return { info: spec.info, header: spec.header, byId: new Map(Object.entries(spec.ids).map(([k, v]) => [Number(k), v])) };
}

export type IoctlDirection = 'none' | 'write' | 'read' | 'read-write';

export interface Ioctl<A = unknown> {
  readonly name: string;
  /** The request number gcc computes. */
  readonly request: number;
  /** As encoded in the number. */
  readonly direction: IoctlDirection;
  readonly type: number;
  readonly nr: number;
  readonly size: number;
  /** The argument: the encoded one, else the one the doc comment declares (vfio's argsz ioctls). */
  readonly arg?: Codec<A>;
  /** The argument type as C spells it. */
  readonly argType?: string;
  /** What the header's doc comment declares, where it differs from the encoding. */
  readonly declared?: { readonly macro: string; readonly direction: IoctlDirection; readonly argType?: string };
}

export function defineIoctl<A>(spec: Ioctl<A>): Ioctl<A> {
  return spec;
}
