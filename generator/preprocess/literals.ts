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

/** Decodes the body of a char or string literal (between the quotes) into code units. */
export function decodeEscapes(body: string): number[] | undefined {
  const out: number[] = [];
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c !== '\\') {
      const cp = body.codePointAt(i)!;
      if (cp > 0xffff) i++;
      if (cp < 0x80) out.push(cp);
      else out.push(...Buffer.from(String.fromCodePoint(cp), 'utf8'));
      continue;
    }
    const e = body[++i];
    if (e === undefined) return undefined;
    if (e === 'x') {
      const m = /^[0-9a-fA-F]+/.exec(body.slice(i + 1));
      if (!m) return undefined;
      out.push(parseInt(m[0], 16) & 0xff);
      i += m[0].length;
    } else if (/[0-7]/.test(e)) {
      const m = /^[0-7]{1,3}/.exec(body.slice(i))!;
      out.push(parseInt(m[0], 8) & 0xff);
      i += m[0].length - 1;
    } else if (e in SIMPLE_ESCAPES) {
      out.push(SIMPLE_ESCAPES[e]);
    } else {
      return undefined;
    }
  }
  return out;
}

/**
 * The value of a plain character constant: type int, and (char being signed on x86) a single
 * byte above 0x7f is negative, as gcc computes `'\xff'` = -1. Multi-character constants pack
 * bytes big-end first, as gcc does.
 */
export function parseCharLiteral(text: string): bigint | undefined {
  const m = /^(L|u|U|u8)?'(.*)'$/s.exec(text);
  if (!m) return undefined;
  const units = decodeEscapes(m[2]);
  if (!units || units.length === 0) return undefined;
  if (m[1]) return BigInt(units[units.length - 1]);
  if (units.length === 1) return BigInt(units[0] >= 0x80 ? units[0] - 256 : units[0]);
  let v = 0n;
  for (const u of units) v = ((v << 8n) | BigInt(u)) & 0xffffffffn;
  return BigInt.asIntN(32, v);
}

/** The text of a string literal as C sees it (escapes decoded), or undefined if it is not one. */
export function parseStringLiteral(text: string): string | undefined {
  const m = /^(L|u|U|u8)?"(.*)"$/s.exec(text);
  if (!m) return undefined;
  const units = decodeEscapes(m[2]);
  if (!units) return undefined;
  return Buffer.from(units).toString('utf8');
}
