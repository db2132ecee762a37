// Translation phase 4: directives, conditional inclusion, #include search and macro
// expansion, producing the token stream of one translation unit plus everything the model
// needs that a compiler throws away (every #define with its place, every comment).
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Diagnostics, Loc } from '../diagnostics.js';
import { SourceFile } from '../source.js';
import { Abi } from '../model/abi.js';
import { Comment, LexedFile, lex, spell, Token } from './lexer.js';
import { evaluateIfExpression, IfExpressionError } from './if-expression.js';
import { Macro, MacroExpander } from './macro-expander.js';
import { firstTooDeep, isStackExhausted, NESTING_LIMIT } from './nesting.js';

export type { Macro } from './macro-expander.js';

/** Lexed files, shared between translation units: a header is read and lexed once per process. */
export class FileCache {
  private files = new Map<string, LexedFile | null>();
  private readonly virtualFiles = new Map<string, SourceFile>();

  /** Lexes the file at an absolute path; null when it does not exist. */
  get(path: string, displayPath: string, diags: Diagnostics): LexedFile | null {
    let f = this.files.get(path);
    const virtual = this.virtualFiles.get(path);
    if (f === undefined && virtual) {
      f = lex(virtual, diags);
      this.files.set(path, f);
    }
    if (f === undefined) {
      f = null;
      try {
        if (statSync(path).isFile()) {
          const text = readFileSync(path, 'utf8');
          // A lexing error (unterminated comment) is reported once per run, not cached away.
          f = lex(new SourceFile(path, displayPath, text), diags);
        }
      } catch (e) {
        if (e instanceof Error && 'diagnostics' in e) throw e;
        f = null;
      }
      this.files.set(path, f);
    }
    return f;
  }

  /** Adds a file whose text does not come from disk (a test, the fuzzer); lexed when first read. */
  put(file: SourceFile): void {
    this.virtualFiles.set(file.path, file);
    this.files.delete(file.path);
  }
}

export interface PreprocessOptions {
  abi: Abi;
  /** The user's -I directories; the ABI's system directories follow them. */
  includeDirs?: string[];
  diags: Diagnostics;
  cache?: FileCache;
}

export interface PreprocessResult {
  tokens: Token[];
  /** The macro table at the end of the translation unit. */
  macros: Map<string, Macro>;
  /** Every #define read, in order, redefinitions included. */
  definitions: Macro[];
  comments: Map<SourceFile, Comment[]>;
  /** Every file read, in first-read order. */
  files: SourceFile[];
}

interface Conditional {
  /** Lines of this branch are kept. */
  active: boolean;
  /** Some branch of this #if was already taken, so later #elif/#else are not. */
  taken: boolean;
  /** The enclosing region is active (else no branch here can be). */
  parentActive: boolean;
  sawElse: boolean;
  loc: Loc;
}

const MAX_INCLUDE_DEPTH = 200;

export class Preprocessor {
  private readonly macros = new Map<string, Macro>();
  private readonly expander: MacroExpander;
  private readonly out: Token[] = [];
  private readonly definitions: Macro[] = [];
  private readonly comments = new Map<SourceFile, Comment[]>();
  private readonly files: SourceFile[] = [];
  private readonly pragmaOnce = new Set<string>();
  private readonly cache: FileCache;
  private readonly searchDirs: string[];
  private readonly diags: Diagnostics;
  private depth = 0;

  constructor(opts: PreprocessOptions) {
    this.diags = opts.diags;
    this.cache = opts.cache ?? new FileCache();
    this.searchDirs = [...(opts.includeDirs ?? []).map((d) => resolve(d)), ...opts.abi.systemIncludeDirs()];
    this.expander = new MacroExpander(this.macros, this.diags);
    // __FILE__ and __LINE__ are predefined with empty bodies; the expander computes them per use.
    // gcc's few hundred predefined macros are read once per ABI and per process; each
    // preprocessor starts from a copy (macro objects are never changed once made).
    let builtins = BUILTIN_MACROS.get(opts.abi);
    if (!builtins) {
      const builtinFile = new SourceFile('<built-in>', '<built-in>', opts.abi.predefined + '\n#define __FILE__\n#define __LINE__\n');
      this.processFile(lex(builtinFile, this.diags), -1, true);
      BUILTIN_MACROS.set(opts.abi, (builtins = new Map(this.macros)));
    }
    for (const [name, m] of builtins) this.macros.set(name, m);
  }

  /** Preprocesses the given files as one translation unit, in order. */
  run(mainFiles: LexedFile[]): PreprocessResult {
    for (const f of mainFiles) this.include(f, -1);
    return {
      tokens: this.out,
      macros: this.macros,
      definitions: this.definitions,
      comments: this.comments,
      files: this.files,
    };
  }

  /** Resolves a header named like an #include (`linux/vfio.h`) against the search path. */
  findHeader(name: string): { path: string; dirIndex: number } | undefined {
    for (let k = 0; k < this.searchDirs.length; k++) {
      const p = resolve(this.searchDirs[k], name);
      if (existsSync(p)) return { path: p, dirIndex: k };
    }
    return undefined;
  }

  private include(f: LexedFile, dirIndex: number): void {
    if (this.pragmaOnce.has(f.file.path)) return;
    if (!this.comments.has(f.file)) {
      this.comments.set(f.file, f.comments);
      this.files.push(f.file);
    }
    this.processFile(f, dirIndex, false);
  }

  private processFile(lf: LexedFile, dirIndex: number, predefined: boolean): void {
    const toks = lf.tokens;
    const conds: Conditional[] = [];
    let i = 0;
    while (i < toks.length) {
      const t = toks[i];
      if (t.bol && t.kind === 'punct' && t.text === '#') {
        let j = i + 1;
        while (j < toks.length && !toks[j].bol) j++;
        this.directive(t, toks.slice(i + 1, j), conds, lf, dirIndex, predefined);
        i = j;
        continue;
      }
      let j = i + 1;
      while (j < toks.length && !(toks[j].bol && toks[j].kind === 'punct' && toks[j].text === '#')) j++;
      if (conds.length === 0 || conds[conds.length - 1].active) this.emitText(toks.slice(i, j));
      i = j;
    }
    if (conds.length > 0) {
      this.diags.error('UG107', 'unterminated conditional directive', conds[conds.length - 1].loc);
    }
  }

  private emitText(tokens: Token[]): void {
    const expanded = this.expander.expand(tokens);
    for (let k = 0; k < expanded.length; k++) {
      const t = expanded[k];
      // _Pragma("...") is a pragma in operator form; like #pragma it says nothing about layout here.
      if (t.kind === 'ident' && t.text === '_Pragma' && expanded[k + 1]?.text === '(') {
        let depth = 0;
        let j = k + 1;
        for (; j < expanded.length; j++) {
          if (expanded[j].text === '(') depth++;
          else if (expanded[j].text === ')' && --depth === 0) break;
        }
        k = j;
        continue;
      }
      this.out.push(t);
    }
  }

  private directive(hash: Token, line: Token[], conds: Conditional[], lf: LexedFile, dirIndex: number, predefined: boolean): void {
    const name = line[0];
    const top = conds[conds.length - 1];
    const active = !top || top.active;
    const loc: Loc = { file: hash.file, line: hash.line, col: hash.col };
    const directiveName = name?.kind === 'ident' ? name.text : name?.text;
    switch (directiveName) {
      case 'if':
      case 'ifdef':
      case 'ifndef': {
        if (!active) {
          conds.push({ active: false, taken: true, parentActive: false, sawElse: false, loc });
          return;
        }
        const v = this.condition(directiveName, line, hash, { lf, dirIndex });
        conds.push({ active: v, taken: v, parentActive: true, sawElse: false, loc });
        return;
      }
      case 'elif': {
        if (!top) return this.diags.error('UG107', '#elif without #if', loc);
        if (top.sawElse) return this.diags.error('UG107', '#elif after #else', loc);
        if (!top.parentActive || top.taken) {
          top.active = false;
          return;
        }
        const v = this.condition('if', line, hash, { lf, dirIndex });
        top.active = v;
        top.taken = v;
        return;
      }
      case 'else': {
        if (!top) return this.diags.error('UG107', '#else without #if', loc);
        if (top.sawElse) return this.diags.error('UG107', '#else after #else', loc);
        top.sawElse = true;
        top.active = top.parentActive && !top.taken;
        top.taken = true;
        return;
      }
      case 'endif': {
        if (!top) return this.diags.error('UG107', '#endif without #if', loc);
        conds.pop();
        return;
      }
    }
    if (!active) return;
    switch (directiveName) {
      case undefined:
        return; // the null directive: a lone '#'
      case 'define':
        return this.define(line, hash, predefined);
      case 'undef': {
        const n = line[1];
        if (!n || n.kind !== 'ident') return this.diags.error('UG106', 'macro names must be identifiers', n ?? hash);
        this.macros.delete(n.text);
        return;
      }
      case 'include':
      case 'include_next':
        return this.includeDirective(line, hash, lf, directiveName === 'include_next' ? dirIndex : undefined);
      case 'error':
        return this.diags.error('UG105', `#error ${spell(line.slice(1))}`, hash);
      case 'warning':
        return this.diags.warning('UG110', `#warning ${spell(line.slice(1))}`, hash);
      case 'pragma':
        if (line[1]?.text === 'once') this.pragmaOnce.add(lf.file.path);
        // `#pragma pack` changes layout, so it travels on to the parser as a pseudo declaration.
        if (line[1]?.text === 'pack') {
          this.out.push({ ...line[1], text: '__uapigen_pragma_pack', bol: false }, ...line.slice(2), { ...line[line.length - 1], kind: 'punct', text: ';' });
        }
        return;
      case 'line':
      case 'ident':
      case 'sccs':
      case 'assert':
      case 'unassert':
        return;
      default:
        if (name.kind === 'number') return; // `# 12 "file"` line markers
        return this.diags.error('UG106', `invalid preprocessing directive #${name.text}`, name);
    }
  }

  private define(line: Token[], hash: Token, predefined: boolean): void {
    const n = line[1];
    if (!n || n.kind !== 'ident') {
      this.diags.error('UG106', 'macro names must be identifiers', n ?? hash);
      return;
    }
    if (n.text === 'defined') {
      this.diags.error('UG106', '"defined" cannot be used as a macro name', n);
      return;
    }
    let k = 2;
    let params: string[] | undefined;
    let variadic = false;
    if (line[2]?.text === '(' && !line[2].space) {
      params = [];
      k = 3;
      for (;;) {
        const p = line[k];
        if (!p) return this.diags.error('UG106', `missing ')' in parameter list of macro "${n.text}"`, line[k - 1]);
        if (p.text === ')' && params.length === 0) {
          k++;
          break;
        }
        if (p.text === '...') {
          params.push('__VA_ARGS__');
          variadic = true;
        } else if (p.kind === 'ident') {
          params.push(p.text);
          if (line[k + 1]?.text === '...') {
            variadic = true;
            k++;
          }
        } else {
          return this.diags.error('UG106', `expected a parameter name in macro "${n.text}", found '${p.text}'`, p);
        }
        k++;
        const sep = line[k];
        if (sep?.text === ')') {
          k++;
          break;
        }
        if (sep?.text !== ',' || variadic) {
          return this.diags.error('UG106', `expected ',' or ')' in parameter list of macro "${n.text}"`, sep ?? p);
        }
        k++;
      }
    }
    const body = line.slice(k).map((t, idx) => (idx === 0 ? { ...t, space: false, bol: false } : t));
    const macro: Macro = { name: n.text, params, variadic, body, file: n.file, line: n.line, col: n.col, predefined };
    const earlier = this.macros.get(n.text);
    // C allows a macro defined again only word for word (6.10.3p2); gcc warns and takes the new one.
    if (earlier && !sameDefinition(earlier, macro)) {
      const where = earlier.predefined ? [] : [{ message: 'the earlier definition is here', loc: { file: earlier.file, line: earlier.line, col: earlier.col } }];
      this.diags.report({ code: 'UG113', severity: 'warning', message: `"${n.text}" redefined${earlier.predefined ? ' (it is predefined by the compiler)' : ''}`, loc: n, related: where });
    }
    this.macros.set(n.text, macro);
    if (!predefined) this.definitions.push(macro);
  }

  private condition(kind: 'if' | 'ifdef' | 'ifndef', line: Token[], hash: Token, where: IncludeContext): boolean {
    if (kind !== 'if') {
      const n = line[1];
      if (!n || n.kind !== 'ident') {
        this.diags.error('UG106', `no macro name given in #${kind} directive`, n ?? line[0]);
        return false;
      }
      return this.isDefined(n.text) === (kind === 'ifdef');
    }
    try {
      let tokens = this.resolveDefined(line.slice(1), where);
      tokens = this.resolveDefined(this.expander.expand(tokens), where);
      // What is left of identifiers after expansion is 0 (C 6.10.1p4).
      tokens = tokens.map((t) => (t.kind === 'ident' ? { ...t, kind: 'number', text: '0' } : t));
      const deep = firstTooDeep(tokens);
      if (deep) throw new IfExpressionError(`parentheses nested more than ${NESTING_LIMIT} deep`, deep);
      return evaluateIfExpression(tokens, line[0]) !== 0n;
    } catch (e) {
      if (isStackExhausted(e)) {
        this.diags.error('UG104', '#if expression nested too deep to evaluate (a long chain of unary operators?)', hash);
        return false;
      }
      if (!(e instanceof IfExpressionError)) throw e;
      this.diags.error('UG104', `#if expression cannot be evaluated: ${e.message}`, e.token ?? hash);
      return false;
    }
  }

  /**
   * Whether `defined` says 1: a macro, or one of the operators gcc counts as defined. That
   * includes the ones uapigen cannot answer: `#ifdef __has_attribute` then takes gcc's branch and
   * stops at the `__has_attribute(...)` inside it with an error, where a 0 would quietly take
   * the other branch.
   */
  private isDefined(name: string): boolean {
    return this.macros.has(name) || name === '__has_include' || name === '__has_include_next' || UNMODELLED_OPERATORS.has(name);
  }

  /** `defined X`, `defined(X)`, `__has_include(<h>)` and `__has_include_next` become 1 or 0 before expansion. */
  private resolveDefined(tokens: Token[], where: IncludeContext): Token[] {
    const out: Token[] = [];
    for (let k = 0; k < tokens.length; k++) {
      const t = tokens[k];
      if (t.kind === 'ident' && t.text === 'defined') {
        const paren = tokens[k + 1]?.text === '(';
        const n = tokens[k + (paren ? 2 : 1)];
        if (!n || n.kind !== 'ident') throw new IfExpressionError("operator 'defined' requires an identifier", n ?? t);
        if (paren && tokens[k + 3]?.text !== ')') throw new IfExpressionError("missing ')' after 'defined'", tokens[k + 3] ?? n);
        out.push({ ...t, kind: 'number', text: this.isDefined(n.text) ? '1' : '0' });
        k += paren ? 3 : 1;
        continue;
      }
      if (t.kind === 'ident' && (t.text === '__has_include' || t.text === '__has_include_next') && tokens[k + 1]?.text === '(') {
        let j = k + 2;
        while (j < tokens.length && tokens[j].text !== ')') j++;
        const spelled = tokens.slice(k + 2, j).map((x) => x.text).join('');
        const quoted = spelled.startsWith('"');
        const name = spelled.replace(/^[<"]|[>"]$/g, '');
        // As #include and #include_next would look for it: "..." from the includer's directory first.
        const next = t.text === '__has_include_next' ? where.dirIndex : undefined;
        out.push({ ...t, kind: 'number', text: this.locate(name, quoted, where.lf, next) ? '1' : '0' });
        k = j;
        continue;
      }
      // gcc answers these from its tables of attributes and builtins, which uapigen does not
      // hold; a guess would be another header than gcc's, so say so where the header asks,
      // if the answer is needed (not on the side of || or && that is not evaluated).
      if (t.kind === 'ident' && UNMODELLED_OPERATORS.has(t.text) && tokens[k + 1]?.text === '(') {
        let depth = 0;
        let j = k + 1;
        for (; j < tokens.length; j++) {
          if (tokens[j].text === '(') depth++;
          else if (tokens[j].text === ')' && --depth === 0) break;
        }
        if (j === tokens.length) throw new IfExpressionError(`missing ')' after '${t.text}'`, t);
        out.push({ ...t, kind: 'number', text: '0', unanswered: `${t.text} is not modelled by uapigen (gcc answers it from its own tables)` });
        k = j;
        continue;
      }
      out.push(t);
    }
    return out;
  }

  /**
   * Where `#include` finds a header: a quoted name in the includer's directory first, then the
   * search path, from the directory after `nextAfter` for #include_next.
   */
  private locate(name: string, quoted: boolean, includer: LexedFile, nextAfter: number | undefined): { path: string; dirIndex: number } | undefined {
    if (quoted && nextAfter === undefined) {
      const local = resolve(dirname(includer.file.path), name);
      if (existsSync(local)) return { path: local, dirIndex: -1 };
    }
    for (let k = nextAfter === undefined ? 0 : nextAfter + 1; k < this.searchDirs.length; k++) {
      const p = resolve(this.searchDirs[k], name);
      if (existsSync(p)) return { path: p, dirIndex: k };
    }
    return undefined;
  }

  private includeDirective(line: Token[], hash: Token, lf: LexedFile, nextAfter: number | undefined): void {
    let operand = line.slice(1);
    let name: string | undefined;
    let quoted = false;
    for (let attempt = 0; attempt < 2 && name === undefined; attempt++) {
      const first = operand[0];
      if (first?.kind === 'string' && first.text.startsWith('"')) {
        name = first.text.slice(1, -1);
        quoted = true;
      } else if (first?.text === '<') {
        if (attempt === 0) {
          // A header name is raw text, not tokens: take it from the source line.
          const text = lf.file.text;
          const close = text.indexOf('>', first.offset);
          const eol = text.indexOf('\n', first.offset);
          if (close > 0 && (eol < 0 || close < eol)) name = text.slice(first.offset + 1, close);
        } else {
          const close = operand.findIndex((t) => t.text === '>');
          if (close > 0) name = operand.slice(1, close).map((t) => (t.space ? ' ' : '') + t.text).join('').trim();
        }
      } else if (attempt === 0) {
        operand = this.expander.expand(operand); // #include MACRO
      }
    }
    if (!name) {
      this.diags.error('UG106', '#include expects "FILENAME" or <FILENAME>', line[1] ?? hash);
      return;
    }
    const found = this.locate(name, quoted, lf, nextAfter);
    if (!found) {
      this.diags.fatal('UG101', `${name}: No such file or directory`, line[1] ?? hash);
    }
    if (this.depth >= MAX_INCLUDE_DEPTH) {
      this.diags.fatal('UG109', `#include nested ${MAX_INCLUDE_DEPTH} levels deep`, hash);
    }
    const f = this.cache.get(found.path, quoted && found.dirIndex < 0 ? displayFor(lf.file, name) : name, this.diags);
    if (!f) this.diags.fatal('UG101', `${name}: cannot be read`, line[1] ?? hash);
    this.depth++;
    try {
      this.include(f, found.dirIndex);
    } finally {
      this.depth--;
    }
  }
}

/** The predefined macros of each ABI, as read the first time. */
const BUILTIN_MACROS = new WeakMap<Abi, ReadonlyMap<string, Macro>>();

/** The file a directive is in, and which search directory it was found in (-1: none). */
interface IncludeContext {
  lf: LexedFile;
  dirIndex: number;
}

/** #if operators gcc has that uapigen cannot answer as gcc would. */
const UNMODELLED_OPERATORS = new Set(['__has_attribute', '__has_cpp_attribute', '__has_c_attribute', '__has_builtin']);

function displayFor(includer: SourceFile, name: string): string {
  const dir = dirname(includer.displayPath);
  return dir === '.' ? name : `${dir}/${name}`;
}

/**
 * Two definitions of a macro are the same when their parameters are and their replacement
 * lists have the same tokens with white space between the same ones (C11 6.10.3p1).
 */
function sameDefinition(a: Macro, b: Macro): boolean {
  if (a.variadic !== b.variadic || (a.params === undefined) !== (b.params === undefined)) return false;
  if (a.params && b.params && (a.params.length !== b.params.length || a.params.some((p, k) => p !== b.params![k]))) return false;
  if (a.body.length !== b.body.length) return false;
  return a.body.every((t, k) => t.text === b.body[k].text && (k === 0 || t.space === b.body[k].space));
}
