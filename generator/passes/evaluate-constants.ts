// Evaluates every object-like macro the headers define, as gcc would at the end of the
// translation unit: expanded with the final macro table, parsed as an expression, folded
// with C types. What is not a constant is kept too, with the reason.
import { Diagnostics } from '../diagnostics.js';
import { EvalError, evaluate, stringType, Value } from '../model/evaluate.js';
import { typeToString } from '../model/types.js';
import { Constant } from '../model/model.js';
import { spell, Token } from '../preprocess/lexer.js';
import { Macro, MacroExpander } from '../preprocess/macro-expander.js';
import { tryParseExpression } from '../parse/parse.js';
import type { Session } from '../pipeline.js';

export type MacroValue = { ok: true; value: Value; tokens: Token[] } | { ok: false; reason: string; tokens: Token[] };

/** Expands a macro's name at its definition and folds the result. */
export function evaluateMacro(s: Session, m: Macro, hide?: ReadonlySet<string>): MacroValue {
  const expander = new MacroExpander(s.pp!.macros, new Diagnostics());
  const use: Token = { kind: 'ident', text: m.name, file: m.file, offset: 0, line: m.line, col: m.col, space: false, bol: false, hide };
  const tokens = expander.expand([use]);
  if (tokens.length === 0) return { ok: false, reason: 'expands to nothing', tokens };
  const expr = tryParseExpression(tokens, s.model.declarations.parserTypedefs, { file: m.file, line: m.line, col: m.col });
  if (!expr) return { ok: false, reason: `not an expression: ${spell(tokens)}`, tokens };
  try {
    return { ok: true, value: evaluate(expr, s.model.declarations.scope), tokens };
  } catch (e) {
    if (!(e instanceof EvalError)) throw e;
    return { ok: false, reason: e.message, tokens };
  }
}

export function evaluateConstants(s: Session): void {
  const pp = s.pp!;
  const inHeaders = new Set(s.model.headers);
  const docs = s.docs!;
  for (const m of pp.definitions) {
    if (!inHeaders.has(m.file) || pp.macros.get(m.name) !== m) continue;
    const loc = { file: m.file, line: m.line, col: m.col };
    if (m.params) {
      s.model.otherMacros.push({ name: m.name, loc, functionLike: true, reason: 'function-like macro' });
      continue;
    }
    const r = evaluateMacro(s, m);
    if (!r.ok) {
      s.model.otherMacros.push({ name: m.name, loc, functionLike: false, reason: r.reason });
      continue;
    }
    const base = { name: m.name, loc, spelling: spell(m.body), doc: docs.for(loc) };
    let c: Constant | undefined;
    if (r.value.k === 'int') c = { ...base, kind: 'integer', value: r.value.v, type: r.value.type };
    else if (r.value.k === 'str') c = { ...base, kind: 'string', value: r.value.text, type: typeToString(stringType(s.abi, r.value.kind, r.value.units.length)), units: r.value.units };
    if (c) s.model.constants.push(c);
    else s.model.otherMacros.push({ name: m.name, loc, functionLike: false, reason: 'an address, not a constant' });
  }
}
