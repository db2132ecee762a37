// `#if` arithmetic: every operand is intmax_t or uintmax_t (64 bits), as C 6.10.1 says.
// The operands reach here already macro-expanded, `defined` already resolved and every
// remaining identifier already replaced by 0.
import { Token } from './lexer.js';
import { parseCharLiteral, parseIntegerLiteral } from './literals.js';

export class IfExpressionError extends Error {
  constructor(message: string, readonly token: Token | undefined) {
    super(message);
  }
}

interface PpValue {
  v: bigint;
  unsigned: boolean;
}

const BINARY_PRECEDENCE: Record<string, number> = {
  '*': 10, '/': 10, '%': 10,
  '+': 9, '-': 9,
  '<<': 8, '>>': 8,
  '<': 7, '>': 7, '<=': 7, '>=': 7,
  '==': 6, '!=': 6,
  '&': 5, '^': 4, '|': 3, '&&': 2, '||': 1,
};

const norm = (v: bigint, unsigned: boolean): PpValue => ({ v: unsigned ? BigInt.asUintN(64, v) : BigInt.asIntN(64, v), unsigned });

export function evaluateIfExpression(tokens: readonly Token[], directive: Token): bigint {
  let pos = 0;
  const peek = () => tokens[pos];
  const fail = (msg: string, t: Token | undefined = peek()): never => {
    throw new IfExpressionError(msg, t ?? tokens[tokens.length - 1] ?? directive);
  };

  // `live` is false on the side of && || ?: that is not evaluated: division by zero there is no error.
  function conditional(live: boolean): PpValue {
    const cond = binary(1, live);
    if (peek()?.text !== '?') return cond;
    pos++;
    const taken = cond.v !== 0n;
    const a = comma(live && taken);
    if (peek()?.text !== ':') fail("expected ':' in conditional expression");
    pos++;
    const b = conditional(live && !taken);
    const unsigned = a.unsigned || b.unsigned;
    return norm(taken ? a.v : b.v, unsigned);
  }

  function comma(live: boolean): PpValue {
    let v = conditional(live);
    while (peek()?.text === ',') {
      pos++;
      v = conditional(live);
    }
    return v;
  }

  function binary(minPrec: number, live: boolean): PpValue {
    let left = unary(live);
    for (;;) {
      const op = peek();
      const prec = op && op.kind === 'punct' ? BINARY_PRECEDENCE[op.text] : undefined;
      if (prec === undefined || prec < minPrec) return left;
      pos++;
      if (op!.text === '&&' || op!.text === '||') {
        const short = op!.text === '&&' ? left.v === 0n : left.v !== 0n;
        const right = binary(prec + 1, live && !short);
        const result = op!.text === '&&' ? left.v !== 0n && right.v !== 0n : left.v !== 0n || right.v !== 0n;
        left = { v: result ? 1n : 0n, unsigned: false };
        continue;
      }
      const right = binary(prec + 1, live);
      left = apply(op!, left, right, live);
    }
  }

  function apply(op: Token, a: PpValue, b: PpValue, live: boolean): PpValue {
    const shift = op.text === '<<' || op.text === '>>';
    const unsigned = shift ? a.unsigned : a.unsigned || b.unsigned;
    const x = norm(a.v, unsigned).v;
    const y = shift ? b.v : norm(b.v, unsigned).v;
    switch (op.text) {
      case '*': return norm(x * y, unsigned);
      case '/':
      case '%':
        if (y === 0n) {
          if (live) fail('division by zero in #if', op);
          return { v: 0n, unsigned };
        }
        return norm(op.text === '/' ? x / y : x % y, unsigned);
      case '+': return norm(x + y, unsigned);
      case '-': return norm(x - y, unsigned);
      case '<<': return norm(y < 0n ? x >> -y : y >= 64n ? 0n : x << y, unsigned);
      case '>>': return norm(y < 0n ? x << -y : y >= 64n ? (x < 0n ? -1n : 0n) : x >> y, unsigned);
      case '<': return { v: x < y ? 1n : 0n, unsigned: false };
      case '>': return { v: x > y ? 1n : 0n, unsigned: false };
      case '<=': return { v: x <= y ? 1n : 0n, unsigned: false };
      case '>=': return { v: x >= y ? 1n : 0n, unsigned: false };
      case '==': return { v: x === y ? 1n : 0n, unsigned: false };
      case '!=': return { v: x !== y ? 1n : 0n, unsigned: false };
      case '&': return norm(x & y, unsigned);
      case '^': return norm(x ^ y, unsigned);
      case '|': return norm(x | y, unsigned);
    }
    return fail(`unexpected operator '${op.text}'`, op);
  }

  function unary(live: boolean): PpValue {
    const t = peek();
    if (!t) return fail('expected an expression', tokens[tokens.length - 1] ?? directive);
    if (t.kind === 'punct') {
      switch (t.text) {
        case '(': {
          pos++;
          const v = comma(live);
          if (peek()?.text !== ')') fail("expected ')'");
          pos++;
          return v;
        }
        case '+': pos++; return unary(live);
        case '-': { pos++; const v = unary(live); return norm(-v.v, v.unsigned); }
        case '~': { pos++; const v = unary(live); return norm(~v.v, v.unsigned); }
        case '!': { pos++; const v = unary(live); return { v: v.v === 0n ? 1n : 0n, unsigned: false }; }
      }
    }
    pos++;
    if (t.unanswered !== undefined) {
      if (live) fail(t.unanswered, t);
      return { v: 0n, unsigned: false };
    }
    if (t.kind === 'number') {
      const lit = parseIntegerLiteral(t.text);
      if (!lit) return fail(`'${t.text}' is not an integer constant`, t);
      // In #if every integer is intmax_t unless it is unsigned or does not fit.
      return norm(lit.value, lit.unsigned || lit.value > 0x7fffffffffffffffn);
    }
    if (t.kind === 'char') {
      const c = parseCharLiteral(t.text);
      if (c === undefined) return fail(`bad character constant ${t.text}`, t);
      // char16_t and char32_t are unsigned types, and so act as uintmax_t here (C 6.10.1p4).
      return { v: c.v, unsigned: c.kind === 'utf16' || c.kind === 'utf32' };
    }
    return fail(`'${t.text}' cannot appear in a #if expression`, t);
  }

  if (tokens.length === 0) fail('#if with no expression', directive);
  const result = comma(true);
  if (pos < tokens.length) fail(`missing binary operator before '${tokens[pos].text}'`, tokens[pos]);
  return result.v;
}
