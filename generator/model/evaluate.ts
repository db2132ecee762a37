// Integer constant expressions, evaluated as gcc folds them: every value has its C type,
// literals take the first type that fits (C 6.4.4.1), operands go through the integer
// promotions and the usual arithmetic conversions, results wrap to their type's width
// (`1 << 31` is int -2147483648). Addresses exist only as far as the `offsetof` idiom
// `&((struct s *)0)->member` needs them.
import { Loc } from '../diagnostics.js';
import { Expr, TypeName } from '../parse/ast.js';
import { CharKind, parseCharLiteral, parseIntegerLiteral, parseStringLiterals } from '../preprocess/literals.js';
import { Abi, predefinedBody } from './abi.js';
import { Layouts, LayoutError } from './layout.js';
import { basicIntName, commonType, CType, EnumMember, IntName, intRange, promote, resolve, typeToString, wrap } from './types.js';

export type Value =
  | { k: 'int'; v: bigint; type: IntName }
  | { k: 'ptr'; addr: bigint; to: CType }
  | { k: 'lval'; addr: bigint; type: CType }
  /** `units`: code units of `kind`, without the terminating zero. */
  | { k: 'str'; text: string; kind: CharKind; units: number[] };

export class EvalError extends Error {
  constructor(
    message: string,
    readonly at: Loc,
  ) {
    super(message);
  }
}

export interface EvalScope {
  abi: Abi;
  layouts: Layouts;
  enumConstant(name: string): EnumMember | undefined;
  /** Resolves a type name; throws EvalError for an unknown one. */
  typeOf(tn: TypeName): CType;
}

const DECIMAL_TYPES: IntName[] = ['int', 'long', 'long long'];
const OTHER_TYPES: IntName[] = ['int', 'unsigned int', 'long', 'unsigned long', 'long long', 'unsigned long long'];

/** The type C gives an integer literal: the first in its list that can hold the value. */
export function literalType(abi: Abi, text: string): { v: bigint; type: IntName } | undefined {
  const lit = parseIntegerLiteral(text);
  if (!lit) return undefined;
  let candidates = lit.decimal ? DECIMAL_TYPES : OTHER_TYPES;
  if (lit.longs === 1) candidates = candidates.filter((t) => t !== 'int' && t !== 'unsigned int');
  if (lit.longs === 2) candidates = candidates.filter((t) => t.endsWith('long long'));
  if (lit.unsigned) candidates = [...new Set(candidates.map((t) => (t.startsWith('unsigned') ? t : (`unsigned ${t}` as IntName))))];
  for (const t of candidates) if (lit.value <= intRange(abi, t).max) return { v: lit.value, type: t };
  // gcc: "integer constant is so large that it is unsigned".
  return lit.value <= intRange(abi, 'unsigned long long').max ? { v: lit.value, type: 'unsigned long long' } : undefined;
}

export function evaluate(e: Expr, scope: EvalScope): Value {
  return new Evaluator(scope).value(e);
}

export function evaluateInteger(e: Expr, scope: EvalScope): { v: bigint; type: IntName } {
  const v = evaluate(e, scope);
  if (v.k !== 'int') throw new EvalError('not an integer constant expression', e.at);
  return v;
}

class Evaluator {
  private readonly abi: Abi;
  constructor(private readonly scope: EvalScope) {
    this.abi = scope.abi;
  }

  private int(v: bigint, type: IntName): Value {
    return { k: 'int', v: wrap(this.abi, type, v), type };
  }

  private sizeType(): IntName {
    return this.abi.sizeType;
  }

  private layoutCall<T>(f: () => T, at: Loc): T {
    try {
      return f();
    } catch (err) {
      if (err instanceof LayoutError) throw new EvalError(err.message, at);
      throw err;
    }
  }

  /** An rvalue: objects are not readable here, arrays decay to pointers. */
  value(e: Expr): Value {
    const v = this.raw(e);
    if (v.k !== 'lval') return v;
    const t = resolve(v.type);
    if (t.kind === 'array') return { k: 'ptr', addr: v.addr, to: t.of };
    throw new EvalError('reads an object: not a constant expression', e.at);
  }

  private asInt(e: Expr): { v: bigint; type: IntName } {
    const v = this.value(e);
    if (v.k === 'int') return v;
    throw new EvalError(v.k === 'ptr' ? 'a pointer where an integer is needed' : 'a string where an integer is needed', e.at);
  }

  private raw(e: Expr): Value {
    switch (e.k) {
      case 'num': {
        const lit = literalType(this.abi, e.text);
        if (!lit) throw new EvalError(`${e.text} is not an integer constant`, e.at);
        return { k: 'int', v: lit.v, type: lit.type };
      }
      case 'char': {
        const c = parseCharLiteral(e.text);
        if (c === undefined) throw new EvalError(`invalid character constant ${e.text}`, e.at);
        // A plain one is an int; a prefixed one has its character type (C11 6.4.4.4p10-11).
        const type = c.kind === 'plain' ? 'int' : charUnitType(this.abi, c.kind);
        return { k: 'int', v: c.v, type };
      }
      case 'str': {
        const s = parseStringLiterals(e.parts);
        if ('error' in s) throw new EvalError(s.error, e.at);
        return { k: 'str', text: s.text, kind: s.kind, units: s.units };
      }
      case 'id': {
        const m = this.scope.enumConstant(e.name);
        if (!m) throw new EvalError(`'${e.name}' is not a constant`, e.at);
        return { k: 'int', v: m.value, type: m.type };
      }
      case 'unary':
        return this.unary(e.op, e.e, e.at);
      case 'binary':
        return this.binary(e.op, e.l, e.r, e.at);
      case 'cond': {
        const c = this.value(e.c);
        const taken = c.k === 'int' ? c.v !== 0n : true;
        const chosen = this.value(taken ? e.t : e.f);
        if (chosen.k === 'str') throw new EvalError('a string chosen by ?: is an address, not a constant', e.at);
        if (chosen.k !== 'int') return chosen;
        let other: Value | undefined;
        try {
          other = this.value(taken ? e.f : e.t);
        } catch {
          other = undefined;
        }
        const type = other?.k === 'int' ? commonType(this.abi, chosen.type, other.type) : promote(chosen.type);
        return this.int(chosen.v, type);
      }
      case 'comma': {
        this.value(e.l);
        // The last string of `"a", "b"` decays to its address (gcc's sizeof of it is a
        // pointer's): such a macro is an initializer list, not a string constant.
        const last = this.value(e.r);
        if (last.k === 'str') throw new EvalError('a string after a comma is an address, not a constant (an initializer list?)', e.at);
        return last;
      }
      case 'cast':
        return this.cast(this.scope.typeOf(e.type), e.e, e.at);
      case 'sizeofType': {
        const t = this.scope.typeOf(e.type);
        return this.int(BigInt(this.layoutCall(() => this.scope.layouts.sizeOf(t), e.at)), this.sizeType());
      }
      case 'alignofType': {
        const t = this.scope.typeOf(e.type);
        const layouts = this.scope.layouts;
        return this.int(BigInt(this.layoutCall(() => (e.preferred ? layouts.preferredAlignOf(t) : layouts.alignOf(t)), e.at)), this.sizeType());
      }
      case 'sizeofExpr': {
        const t = this.typeOfExpr(e.e);
        return this.int(BigInt(this.layoutCall(() => this.scope.layouts.sizeOf(t), e.at)), this.sizeType());
      }
      case 'index': {
        const base = this.value(e.e);
        const i = this.asInt(e.i);
        if (base.k !== 'ptr') throw new EvalError('subscript of something that is not an array or pointer', e.at);
        const size = this.layoutCall(() => this.scope.layouts.sizeOf(base.to), e.at);
        return { k: 'lval', addr: base.addr + i.v * BigInt(size), type: base.to };
      }
      case 'member': {
        let addr: bigint;
        let t: CType;
        if (e.arrow) {
          const p = this.value(e.e);
          if (p.k !== 'ptr') throw new EvalError(`'->${e.name}' on something that is not a pointer`, e.at);
          addr = p.addr;
          t = p.to;
        } else {
          const l = this.raw(e.e);
          if (l.k !== 'lval') throw new EvalError(`'.${e.name}' on something that is not an object`, e.at);
          addr = l.addr;
          t = l.type;
        }
        const m = this.findMember(t, e.name, e.at);
        return { k: 'lval', addr: addr + BigInt(m.offset), type: m.type };
      }
      case 'offsetof': {
        let t = this.scope.typeOf(e.type);
        let offset = 0n;
        for (const step of e.path) {
          if (typeof step === 'string') {
            const m = this.findMember(t, step, e.at);
            offset += BigInt(m.offset);
            t = m.type;
          } else {
            const r = resolve(t);
            if (r.kind !== 'array') throw new EvalError('offsetof subscript on a member that is not an array', e.at);
            const size = this.layoutCall(() => this.scope.layouts.sizeOf(r.of), e.at);
            offset += this.asInt(step).v * BigInt(size);
            t = r.of;
          }
        }
        return this.int(offset, this.sizeType());
      }
      case 'call':
        throw new EvalError('function call in a constant expression', e.at);
    }
  }

  /** The type of an expression, for `sizeof expr`: objects are fine here, they are not read. */
  private typeOfExpr(e: Expr): CType {
    const v = this.raw(e);
    switch (v.k) {
      case 'int':
        return { kind: 'int', name: v.type };
      case 'ptr':
        return { kind: 'pointer', to: v.to };
      case 'lval':
        return v.type;
      case 'str':
        return stringType(this.abi, v.kind, v.units.length);
    }
  }

  findMember(t: CType, name: string, at: Loc): { offset: number; type: CType } {
    const r = resolve(t);
    if (r.kind !== 'record') throw new EvalError(`member '${name}' of something that is not a struct or union (${typeToString(t)})`, at);
    const layout = this.layoutCall(() => this.scope.layouts.record(r.record), at);
    for (const f of layout.fields) {
      if (f.member.name === name) {
        if (f.bitWidth !== undefined) throw new EvalError(`'${name}' is a bit-field: it has no address`, at);
        return { offset: f.offset, type: f.member.type };
      }
      if (f.member.name === undefined && resolve(f.member.type).kind === 'record') {
        try {
          const inner = this.findMember(f.member.type, name, at);
          return { offset: f.offset + inner.offset, type: inner.type };
        } catch (err) {
          if (!(err instanceof EvalError)) throw err;
        }
      }
    }
    throw new EvalError(`${typeToString(t)} has no member named '${name}'`, at);
  }

  private cast(to: CType, operand: Expr, at: Loc): Value {
    const r = resolve(to);
    const v = this.value(operand);
    if (r.kind === 'int' || r.kind === 'enum') {
      const name = r.kind === 'int' ? r.name : r.decl.type;
      if (v.k === 'int') return this.int(v.v, name);
      if (v.k === 'ptr') return this.int(v.addr, name);
      throw new EvalError('cast of a string to an integer', at);
    }
    if (r.kind === 'pointer') {
      if (v.k === 'int') return { k: 'ptr', addr: wrap(this.abi, this.abi.sizeType, v.v), to: r.to };
      if (v.k === 'ptr') return { k: 'ptr', addr: v.addr, to: r.to };
    }
    if (r.kind === 'void') return v;
    throw new EvalError(`cast to ${typeToString(to)} in a constant expression`, at);
  }

  private unary(op: string, operand: Expr, at: Loc): Value {
    if (op === '&') {
      const l = this.raw(operand);
      if (l.k !== 'lval') throw new EvalError("'&' of something that is not an object", at);
      return { k: 'ptr', addr: l.addr, to: l.type };
    }
    if (op === '*') {
      const p = this.value(operand);
      if (p.k !== 'ptr') throw new EvalError("'*' of something that is not a pointer", at);
      return { k: 'lval', addr: p.addr, type: p.to };
    }
    const v = this.asInt(operand);
    const t = promote(v.type);
    switch (op) {
      case '+':
        return this.int(v.v, t);
      case '-':
        return this.int(-v.v, t);
      case '~':
        return this.int(~v.v, t);
      case '!':
        return this.int(v.v === 0n ? 1n : 0n, 'int');
    }
    throw new EvalError(`unknown operator '${op}'`, at);
  }

  private binary(op: string, le: Expr, re: Expr, at: Loc): Value {
    if (op === '&&' || op === '||') {
      const l = this.truth(le);
      if (op === '&&' ? !l : l) return this.int(op === '&&' ? 0n : 1n, 'int');
      return this.int(this.truth(re) ? 1n : 0n, 'int');
    }
    const lv = this.value(le);
    const rv = this.value(re);
    if (lv.k === 'ptr' || rv.k === 'ptr') return this.pointerArithmetic(op, lv, rv, at);
    if (lv.k !== 'int' || rv.k !== 'int') throw new EvalError(`operator '${op}' on a string`, at);
    if (op === '<<' || op === '>>') {
      const t = promote(lv.type);
      const bits = BigInt(this.abi.scalars[t].size * 8);
      const n = rv.v;
      if (n < 0n || n >= bits) return this.int(op === '>>' && lv.v < 0n ? -1n : 0n, t);
      return this.int(op === '<<' ? lv.v << n : lv.v >> n, t);
    }
    const t = commonType(this.abi, lv.type, rv.type);
    const a = wrap(this.abi, t, lv.v);
    const b = wrap(this.abi, t, rv.v);
    switch (op) {
      case '+': return this.int(a + b, t);
      case '-': return this.int(a - b, t);
      case '*': return this.int(a * b, t);
      case '/':
      case '%':
        if (b === 0n) throw new EvalError('division by zero', at);
        return this.int(op === '/' ? a / b : a % b, t);
      case '&': return this.int(a & b, t);
      case '|': return this.int(a | b, t);
      case '^': return this.int(a ^ b, t);
      case '<': return this.int(a < b ? 1n : 0n, 'int');
      case '>': return this.int(a > b ? 1n : 0n, 'int');
      case '<=': return this.int(a <= b ? 1n : 0n, 'int');
      case '>=': return this.int(a >= b ? 1n : 0n, 'int');
      case '==': return this.int(a === b ? 1n : 0n, 'int');
      case '!=': return this.int(a !== b ? 1n : 0n, 'int');
    }
    throw new EvalError(`unknown operator '${op}'`, at);
  }

  private truth(e: Expr): boolean {
    const v = this.value(e);
    return v.k === 'int' ? v.v !== 0n : v.k === 'ptr' ? v.addr !== 0n : true;
  }

  private pointerArithmetic(op: string, l: Value, r: Value, at: Loc): Value {
    const elemSize = (t: CType) => BigInt(this.layoutCall(() => this.scope.layouts.sizeOf(t), at));
    if (l.k === 'ptr' && r.k === 'int' && (op === '+' || op === '-')) {
      const d = r.v * elemSize(l.to);
      return { k: 'ptr', addr: op === '+' ? l.addr + d : l.addr - d, to: l.to };
    }
    if (l.k === 'int' && r.k === 'ptr' && op === '+') return { k: 'ptr', addr: r.addr + l.v * elemSize(r.to), to: r.to };
    if (l.k === 'ptr' && r.k === 'ptr') {
      const ptrdiff: IntName = this.abi.sizeType === 'unsigned long' ? 'long' : 'int';
      if (op === '-') return this.int((l.addr - r.addr) / elemSize(l.to), ptrdiff);
      const cmp: Record<string, boolean> = { '==': l.addr === r.addr, '!=': l.addr !== r.addr, '<': l.addr < r.addr, '>': l.addr > r.addr, '<=': l.addr <= r.addr, '>=': l.addr >= r.addr };
      if (op in cmp) return this.int(cmp[op] ? 1n : 0n, 'int');
    }
    throw new EvalError(`operator '${op}' on a pointer in a constant expression`, at);
  }
}

/** The integer type of one code unit of a prefixed character constant or string literal. */
export function charUnitType(abi: Abi, kind: CharKind): IntName {
  if (kind === 'plain' || kind === 'utf8') return 'char';
  if (kind === 'utf16') return 'unsigned short'; // char16_t
  if (kind === 'utf32') return 'unsigned int'; // char32_t
  const wchar = basicIntName((predefinedBody(abi, '__WCHAR_TYPE__') ?? 'int').split(' '));
  if (wchar === undefined || wchar === 'void' || wchar === 'float' || wchar === 'double' || wchar === 'long double' || wchar === '__float128') throw new Error(`__WCHAR_TYPE__ of ${abi.name} is not an integer type`);
  return wchar;
}

/** A string literal's array type: its units and the terminating zero. */
export function stringType(abi: Abi, kind: CharKind, units: number): CType {
  return { kind: 'array', of: { kind: 'int', name: charUnitType(abi, kind) }, length: BigInt(units + 1) };
}
