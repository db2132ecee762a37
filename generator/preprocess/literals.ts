// Integer, character and string literals, read the way gcc reads them.

export interface IntegerLiteral {
  value: bigint;
  /** Written in decimal: C picks its type from int, long, long long only (never unsigned). */
  decimal: boolean;
  unsigned: boolean;
  /** 0 none, 1 `l`, 2 `ll`. */
  longs: 0 | 1 | 2;
}

/** Reads a pp-number as an integer literal; undefined when it is not one (a float, a bad suffix). */
export function parseIntegerLiteral(text: string): IntegerLiteral | undefined {
  const m = /^(0[xX][0-9a-fA-F]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)([uUlL]*)$/.exec(text);
  if (!m) return undefined;
  const digits = m[1];
  const suffix = m[2].toLowerCase();
  const suffixOk = /^(u?(l|ll)?|(l|ll)u)$/.test(suffix);
  if (!suffixOk || /lL|Ll/.test(m[2])) return undefined;
  let value: bigint;
  if (/^0[xX]/.test(digits)) value = BigInt(digits);
  else if (/^0[bB]/.test(digits)) value = BigInt(digits);
  else if (digits.length > 1 && digits[0] === '0') value = BigInt('0o' + digits.slice(1));
  else value = BigInt(digits);
  return {
    value,
    decimal: /^[1-9]/.test(digits),
    unsigned: suffix.includes('u'),
    longs: suffix.includes('ll') ? 2 : suffix.includes('l') ? 1 : 0,
  };
}

const SIMPLE_ESCAPES: Record<string, number> = {
  n: 10, t: 9, r: 13, '0': 0, a: 7, b: 8, f: 12, v: 11, e: 27, '\\': 92, "'": 39, '"': 34, '?': 63,
};

/**
 * What a prefix makes a character constant or string literal: plain (char, UTF-8 bytes), u8
 * (strings only in gnu17: gcc 12 reads u8'x' as the identifier u8), L (wchar_t, one unit per
 * code point), u (char16_t, UTF-16 units) or U (char32_t, code points).
 */
export type CharKind = 'plain' | 'utf8' | 'wide' | 'utf16' | 'utf32';

const KIND_OF_PREFIX: Record<string, CharKind> = { '': 'plain', u8: 'utf8', L: 'wide', u: 'utf16', U: 'utf32' };

/** Bits in one code unit of each kind (wchar_t is 32 bits on both ABIs). */
const UNIT_BITS: Record<CharKind, number> = { plain: 8, utf8: 8, wide: 32, utf16: 16, utf32: 32 };

/** A code point as code units of a kind. */
function encode(cp: number, kind: CharKind): number[] {
  if (UNIT_BITS[kind] === 8) return [...Buffer.from(String.fromCodePoint(cp), 'utf8')];
  if (kind === 'utf16' && cp > 0xffff) {
    const s = String.fromCodePoint(cp);
    return [s.charCodeAt(0), s.charCodeAt(1)];
  }
  return [cp];
}

/**
 * Decodes the body of a char or string literal (between the quotes) into code units of its
 * kind. An escape (`\xff`, `\377`) is one unit, and must fit one; a universal character name
 * (`\u00e9`) and a source character are code points, encoded as the kind encodes them.
 * Undefined when the body is not valid.
 */
function decodeEscapes(body: string, kind: CharKind): number[] | undefined {
  const unitMax = 2 ** UNIT_BITS[kind] - 1;
  const out: number[] = [];
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c !== '\\') {
      const cp = body.codePointAt(i)!;
      if (cp > 0xffff) i++;
      out.push(...encode(cp, kind));
      continue;
    }
    const e = body[++i];
    if (e === undefined) return undefined;
    if (e === 'x') {
      const m = /^[0-9a-fA-F]+/.exec(body.slice(i + 1));
      if (!m) return undefined;
      const v = parseInt(m[0], 16);
      if (m[0].replace(/^0+/, '').length > 8 || v > unitMax) return undefined; // gcc: hex escape sequence out of range
      out.push(v);
      i += m[0].length;
    } else if (/[0-7]/.test(e)) {
      const m = /^[0-7]{1,3}/.exec(body.slice(i))!;
      const v = parseInt(m[0], 8);
      if (v > unitMax) return undefined; // gcc: octal escape sequence out of range
      out.push(v);
      i += m[0].length - 1;
    } else if (e === 'u' || e === 'U') {
      const digits = e === 'u' ? 4 : 8;
      const m = new RegExp(`^[0-9a-fA-F]{${digits}}`).exec(body.slice(i + 1));
      if (!m) return undefined;
      const cp = parseInt(m[0], 16);
      if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return undefined;
      out.push(...encode(cp, kind));
      i += digits;
    } else if (e in SIMPLE_ESCAPES) {
      out.push(SIMPLE_ESCAPES[e]);
    } else {
      return undefined;
    }
  }
  return out;
}

/**
 * A character constant's value and kind. Plain: type int, and (char being signed on x86) a
 * single byte above 0x7f is negative, as gcc computes `'\xff'` = -1; several characters pack
 * big-end first, as gcc does. Prefixed: the last unit (gcc warns of more than one), as wchar_t
 * (signed, 32 bits), char16_t or char32_t. Undefined when it is not a valid one.
 */
export function parseCharLiteral(text: string): { v: bigint; kind: CharKind } | undefined {
  const m = /^(L|u|U|u8)?'(.*)'$/s.exec(text);
  if (!m) return undefined;
  const kind = KIND_OF_PREFIX[m[1] ?? ''];
  if (kind === 'utf8') return undefined;
  const units = decodeEscapes(m[2], kind);
  if (!units || units.length === 0) return undefined;
  const last = BigInt(units[units.length - 1]);
  if (kind === 'wide') return { v: BigInt.asIntN(32, last), kind };
  if (kind !== 'plain') return { v: last, kind };
  if (units.length === 1) return { v: BigInt(units[0] >= 0x80 ? units[0] - 256 : units[0]), kind };
  let v = 0n;
  for (const u of units) v = ((v << 8n) | BigInt(u)) & 0xffffffffn;
  return { v: BigInt.asIntN(32, v), kind };
}

/**
 * Adjacent string literals as one: their kind (a prefixed part gives its kind to plain ones, two
 * different prefixes are an error, as in gcc), code units without the terminating zero, and the
 * text as C sees it; or, as `error`, why they are not a valid string literal.
 */
export function parseStringLiterals(parts: readonly string[]): { kind: CharKind; units: number[]; text: string } | { error: string } {
  const split = parts.map((p) => /^(L|u|U|u8)?"(.*)"$/s.exec(p));
  const bad = split.findIndex((m) => !m);
  if (bad >= 0) return { error: `invalid string literal ${parts[bad]}` };
  const kinds = new Set(split.map((m) => KIND_OF_PREFIX[m![1] ?? '']).filter((k) => k !== 'plain'));
  if (kinds.size > 1) return { error: `unsupported non-standard concatenation of string literals (${[...kinds].join(' and ')})` };
  const kind = kinds.values().next().value ?? 'plain';
  const units: number[] = [];
  for (const [k, m] of split.entries()) {
    const u = decodeEscapes(m![2], kind);
    if (!u) return { error: `invalid string literal ${parts[k]}` };
    units.push(...u);
  }
  const text = UNIT_BITS[kind] === 8 ? Buffer.from(units).toString('utf8') : kind === 'utf16' ? String.fromCharCode(...units) : String.fromCodePoint(...units.map((u) => (u > 0x10ffff ? 0xfffd : u)));
  return { kind, units, text };
}
