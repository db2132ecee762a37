// Finds the ioctl numbers: constants whose expansion is an _IO/_IOR/_IOW/_IOWR invocation.
// The number is what gcc computes from asm-generic/ioctl.h; its fields are decoded with that
// header's own shifts and masks. vfio documents a different form in the doc comment
// (`NAME - _IOWR(TYPE, NR, struct x)`) for argsz-extensible ioctls encoded as `_IO`: both kept.
import { Diagnostics } from '../diagnostics.js';
import { cleanComment } from '../model/doc-comments.js';
import { Ioctl, IoctlDirection, IoctlForm } from '../model/model.js';
import { lex, spell, Token } from '../preprocess/lexer.js';
import { MacroExpander } from '../preprocess/macro-expander.js';
import { tryParseTypeName } from '../parse/parse.js';
import { SourceFile } from '../source.js';
import type { Session } from '../pipeline.js';
import { evaluateMacro } from './evaluate-constants.js';

const IOC_MACROS: Record<string, IoctlDirection> = { _IO: 'none', _IOR: 'read', _IOW: 'write', _IOWR: 'read-write' };
const HIDDEN: ReadonlySet<string> = new Set(Object.keys(IOC_MACROS));
const DIRECTION_BITS: Record<number, IoctlDirection> = { 0: 'none', 1: 'write', 2: 'read', 3: 'read-write' };

/** Splits `( a , b , c )` at top-level commas; undefined if the tokens are not one call. */
function callArguments(tokens: Token[]): Token[][] | undefined {
  if (tokens[0]?.text !== '(' || tokens[tokens.length - 1]?.text !== ')') return undefined;
  const args: Token[][] = [[]];
  let depth = 0;
  for (let k = 1; k < tokens.length - 1; k++) {
    const t = tokens[k];
    if (t.text === '(') depth++;
    if (t.text === ')' && --depth < 0) return undefined;
    if (t.text === ',' && depth === 0) args.push([]);
    else args[args.length - 1].push(t);
  }
  return args;
}

function stripParens(tokens: Token[]): Token[] {
  while (tokens.length > 2 && tokens[0].text === '(' && tokens[tokens.length - 1].text === ')' && callArguments(tokens)?.length === 1) {
    tokens = tokens.slice(1, -1);
  }
  return tokens;
}

function invocation(tokens: Token[]): { macro: string; args: Token[][] } | undefined {
  tokens = stripParens(tokens);
  const head = tokens[0];
  if (!head || !(head.text in IOC_MACROS)) return undefined;
  const args = callArguments(tokens.slice(1));
  const want = head.text === '_IO' ? 2 : 3;
  return args && args.length === want ? { macro: head.text, args } : undefined;
}

export function findIoctls(s: Session): void {
  const pp = s.pp!;
  const shift = (name: string): bigint | undefined => {
    const m = pp.macros.get(name);
    const r = m && evaluateMacro(s, m);
    return r && r.ok && r.value.k === 'int' ? r.value.v : undefined;
  };
  const layout = {
    nrShift: shift('_IOC_NRSHIFT'), nrMask: shift('_IOC_NRMASK'),
    typeShift: shift('_IOC_TYPESHIFT'), typeMask: shift('_IOC_TYPEMASK'),
    sizeShift: shift('_IOC_SIZESHIFT'), sizeMask: shift('_IOC_SIZEMASK'),
    dirShift: shift('_IOC_DIRSHIFT'), dirMask: shift('_IOC_DIRMASK'),
  };
  if (Object.values(layout).some((v) => v === undefined)) return; // asm-generic/ioctl.h not included: no ioctls
  const declared = declaredForms(s);
  const expander = new MacroExpander(pp.macros, new Diagnostics());
  const typeOf = (tokens: Token[]) => {
    const expanded = expander.expand(tokens);
    const tn = tryParseTypeName(expanded, s.model.declarations.parserTypedefs, tokens[0] ?? { file: s.model.headers[0], line: 1, col: 1 });
    if (!tn) return undefined;
    try {
      return s.model.declarations.typeName(tn);
    } catch {
      return undefined;
    }
  };
  for (const c of s.model.constants) {
    if (c.kind !== 'integer') continue;
    const m = pp.macros.get(c.name)!;
    // Prefer the arguments as written: follow plain aliases to the invocation in a body.
    let body = m.body;
    for (let hops = 0; hops < 8 && body.length === 1 && body[0].kind === 'ident' && !(body[0].text in IOC_MACROS); hops++) {
      const next = pp.macros.get(body[0].text);
      if (!next || next.params) break;
      body = next.body;
    }
    // Expanding again (with _IO* kept whole) can only change a body that names a macro; most
    // constants are plain numbers and are not expanded a second time.
    const expands = body.some((t) => t.kind === 'ident' && pp.macros.has(t.text));
    const call = invocation(body) ?? (expands ? invocation(evaluateMacro(s, m, HIDDEN).tokens) : undefined);
    if (!call) continue;
    const v = c.value as bigint;
    const field = (sh: bigint, mask: bigint) => Number((v >> sh) & mask);
    const encoded: IoctlForm = {
      macro: call.macro,
      direction: IOC_MACROS[call.macro],
      typeArg: spell(call.args[0]),
      nrArg: spell(call.args[1]),
    };
    if (call.args[2]) {
      encoded.argType = spell(call.args[2]);
      encoded.argCType = typeOf(call.args[2]);
    }
    const ioctl: Ioctl = {
      name: c.name,
      constant: c,
      value: v,
      decoded: {
        direction: DIRECTION_BITS[field(layout.dirShift!, layout.dirMask!)],
        type: field(layout.typeShift!, layout.typeMask!),
        nr: field(layout.nrShift!, layout.nrMask!),
        size: field(layout.sizeShift!, layout.sizeMask!),
      },
      encoded,
    };
    const d = declared.get(c.name);
    if (d) {
      ioctl.declared = { ...d.form, loc: d.loc };
      if (d.argTokens) ioctl.declared.argCType = typeOf(d.argTokens);
    }
    s.model.ioctls.push(ioctl);
  }
}

/** `NAME - _IOWR(TYPE, NR, struct x)` lines in the headers' comments. */
function declaredForms(s: Session) {
  const out = new Map<string, { form: IoctlForm; loc: { file: SourceFile; line: number; col: number }; argTokens?: Token[] }>();
  const re = /(?:^|\n)\s*([A-Z][A-Z0-9_]*)\s+-\s+(_IO(?:WR|R|W)?)\s*\(([^)]*)\)/g;
  for (const file of s.model.headers) {
    for (const c of s.pp!.comments.get(file) ?? []) {
      const text = cleanComment(c.text);
      for (const m of text.matchAll(re)) {
        const args = m[3].split(',').map((a) => a.replace(/\s+/g, ' ').trim());
        if (args.length !== (m[2] === '_IO' ? 2 : 3)) continue;
        const form: IoctlForm = { macro: m[2], direction: IOC_MACROS[m[2]], typeArg: args[0], nrArg: args[1], argType: args[2] };
        const argTokens = args[2] ? lex(new SourceFile(file.path, file.displayPath, args[2]), new Diagnostics()).tokens : undefined;
        if (!out.has(m[1])) out.set(m[1], { form, loc: { file, line: c.line, col: 1 }, argTokens });
      }
    }
  }
  return out;
}
