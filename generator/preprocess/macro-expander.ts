// Macro expansion by the C standard's rescanning rules, implemented with hide sets
// (D. Prosser's algorithm): each token carries the set of macros that must not expand it
// again, so `#define foo foo` and mutual recursion stop where the standard says they stop.
import { Diagnostics } from '../diagnostics.js';
import { lex, Token } from './lexer.js';
import { isStackExhausted } from './nesting.js';
import { SourceFile } from '../source.js';

export interface Macro {
  name: string;
  /** Undefined for an object-like macro. */
  params?: string[];
  /** The last parameter takes the rest of the arguments (`...` or GNU `name...`). */
  variadic: boolean;
  body: Token[];
  file: SourceFile;
  line: number;
  col: number;
  predefined: boolean;
}

const EMPTY: ReadonlySet<string> = new Set();

function union(a: ReadonlySet<string> | undefined, name: string): ReadonlySet<string> {
  if (a?.has(name)) return a;
  const s = new Set(a ?? EMPTY);
  s.add(name);
  return s;
}
function intersect(a: ReadonlySet<string> | undefined, b: ReadonlySet<string> | undefined): ReadonlySet<string> {
  if (!a || !b) return EMPTY;
  const s = new Set<string>();
  for (const x of a) if (b.has(x)) s.add(x);
  return s;
}
function mergeHide(a: ReadonlySet<string> | undefined, b: ReadonlySet<string>): ReadonlySet<string> {
  if (!a || a.size === 0) return b;
  if (b.size === 0) return a;
  const s = new Set(a);
  for (const x of b) s.add(x);
  return s;
}

/**
 * The most tokens macros may make in one expansion (a run of text, a `#if` line, a constant).
 * A macro that uses the one before it twice, forty deep, makes 2^40 tokens: gcc ran out of
 * memory on it after 30 s (under a 4 GB limit), and uapigen spent a minute and gigabytes
 * before this limit. The most one expansion makes in any /usr/include/linux header of
 * linux-libc-dev 6.1, on either ABI, is 48,108 tokens (map_to_14segment.h's text).
 */
export const EXPANSION_LIMIT = 1_000_000;

/** Unwinds an expansion past EXPANSION_LIMIT, after it has been reported. */
class ExpansionTooLarge extends Error {}

export class MacroExpander {
  /** Tokens the current top-level expansion may still make. */
  private budget = 0;
  private depth = 0;
  /** The macro use the top-level expansion is at: where a failure deeper in is reported. */
  private outerSite: Token | undefined;

  constructor(
    readonly macros: Map<string, Macro>,
    private readonly diags: Diagnostics,
  ) {}

  /** Fully expands a token list (a run of text lines, a `#if` line, a macro body). */
  expand(input: readonly Token[]): Token[] {
    const top = this.depth === 0;
    if (top) {
      this.budget = EXPANSION_LIMIT;
      this.outerSite = undefined;
    }
    this.depth++;
    try {
      return this.expandWithin(input);
    } catch (e) {
      if (!top) throw e;
      if (e instanceof ExpansionTooLarge) return [];
      // Arguments are expanded by recursion: F(F(F(...))) thousands deep ran out of stack.
      if (isStackExhausted(e) && this.outerSite) {
        this.diags.error('UG112', `expanding "${this.outerSite.text}" nests macro calls too deep to follow`, this.outerSite);
        return [];
      }
      throw e;
    } finally {
      this.depth--;
    }
  }

  private expandWithin(input: readonly Token[]): Token[] {
    const out: Token[] = [];
    // Pending tokens, last first: expansions are pushed back on top to be rescanned.
    const pending: Token[] = [];
    for (let k = input.length - 1; k >= 0; k--) pending.push(input[k]);
    while (pending.length > 0) {
      const t = pending.pop()!;
      if (t.kind !== 'ident' || t.noexpand) {
        out.push(t);
        continue;
      }
      const m = this.macros.get(t.text);
      if (!m) {
        out.push(t);
        continue;
      }
      if (this.depth === 1 && !t.hide) this.outerSite = t;
      if (t.hide?.has(t.text)) {
        out.push({ ...t, noexpand: true });
        continue;
      }
      const builtin = this.builtin(t);
      if (builtin) {
        out.push(builtin);
        continue;
      }
      if (!m.params) {
        this.pushBack(pending, this.substitute(m, [], union(t.hide, m.name), t), t);
        continue;
      }
      if (pending.length === 0 || pending[pending.length - 1].text !== '(') {
        out.push(t);
        continue;
      }
      const call = this.collectArguments(m, t, pending);
      if (!call) continue;
      const hide = union(intersect(t.hide, call.close.hide), m.name);
      this.pushBack(pending, this.substitute(m, call.args, hide, t), t);
    }
    return out;
  }

  private pushBack(pending: Token[], tokens: Token[], site: Token): void {
    this.budget -= tokens.length;
    if (this.budget < 0) {
      // The hide set holds the macros the token came from, the outermost first.
      const outermost = site.hide?.values().next().value ?? site.text;
      this.diags.error('UG112', `expanding "${outermost}" makes more than ${EXPANSION_LIMIT} tokens: stopped (does a macro use the one before it more than once, level after level?)`, site);
      throw new ExpansionTooLarge();
    }
    for (let k = tokens.length - 1; k >= 0; k--) pending.push(tokens[k]);
  }

  private builtin(t: Token): Token | undefined {
    const m = this.macros.get(t.text);
    if (!m?.predefined || m.body.length !== 0) return undefined;
    if (t.text === '__LINE__') return { ...t, kind: 'number', text: String(t.line) };
    if (t.text === '__FILE__') return { ...t, kind: 'string', text: JSON.stringify(t.file.displayPath) };
    return undefined;
  }

  /** Reads `( args )` from pending; the opening parenthesis is on top. */
  private collectArguments(m: Macro, site: Token, pending: Token[]): { args: Token[][]; close: Token } | undefined {
    pending.pop();
    const args: Token[][] = [[]];
    const params = m.params!;
    let depth = 0;
    let close: Token | undefined;
    while (pending.length > 0) {
      const a = pending.pop()!;
      if (a.kind === 'punct') {
        if (a.text === '(') depth++;
        else if (a.text === ')') {
          if (depth === 0) {
            close = a;
            break;
          }
          depth--;
        } else if (a.text === ',' && depth === 0 && !(m.variadic && args.length === params.length)) {
          args.push([]);
          continue;
        }
      }
      args[args.length - 1].push(a);
    }
    if (!close) {
      this.diags.error('UG108', `unterminated argument list invoking macro "${m.name}"`, site);
      return undefined;
    }
    if (params.length === 0 && args.length === 1 && args[0].length === 0) return { args: [], close };
    // GNU C lets the variadic part be left out entirely: F(a) for F(x, ...).
    if (m.variadic && args.length === params.length - 1) args.push([]);
    if (args.length !== params.length) {
      this.diags.error(
        'UG103',
        `macro "${m.name}" passed ${args.length} argument${args.length === 1 ? '' : 's'}, but takes ${params.length}`,
        site,
      );
      return undefined;
    }
    return { args, close };
  }

  /**
   * The body with arguments substituted, `#` and `##` applied, the hide set added. Body and
   * argument tokens are gathered as they are (shared, never changed) and each is copied once,
   * at the end, into a token of one shape: copying with object spread at every step made most
   * of the time and garbage of reading kvm.h, whose ioctl macros nest five deep.
   */
  private substitute(m: Macro, args: Token[][], hide: ReadonlySet<string>, site: Token): Token[] {
    const params = m.params ?? [];
    const paramIndex = (t: Token | undefined) => (t && t.kind === 'ident' ? params.indexOf(t.text) : -1);
    const expandedArgs = new Map<number, Token[]>();
    const body = m.body;
    const out: Token[] = [];
    for (let k = 0; k < body.length; k++) {
      const t = body[k];
      if (m.params && t.text === '#' && t.kind === 'punct' && paramIndex(body[k + 1]) >= 0) {
        out.push(madeAt(site, 'string', stringize(args[paramIndex(body[k + 1])]), t.space));
        k++;
        continue;
      }
      if (t.text === '##' && t.kind === 'punct' && k + 1 < body.length && out.length > 0) {
        const next = body[++k];
        const idx = paramIndex(next);
        const right = idx >= 0 ? args[idx] : [next];
        const left = out[out.length - 1];
        // GNU: `, ## __VA_ARGS__` drops the comma when the variadic argument is empty.
        if (idx === params.length - 1 && m.variadic && left.text === ',' && left.kind === 'punct') {
          if (right.length === 0) out.pop();
          else for (const r of right) out.push(r);
          continue;
        }
        if (right.length === 0) continue;
        out.pop();
        out.push(...this.paste(left, right[0], site));
        for (let j = 1; j < right.length; j++) out.push(right[j]);
        continue;
      }
      const idx = paramIndex(t);
      if (idx >= 0) {
        const raw = args[idx];
        let replacement: Token[];
        if (body[k + 1]?.text === '##') replacement = raw.length ? raw : [madeAt(site, 'placemarker', '', site.space)];
        else {
          let e = expandedArgs.get(idx);
          if (!e) expandedArgs.set(idx, (e = this.expand(raw)));
          replacement = e;
        }
        // The argument takes the spacing of the parameter it replaces.
        if (replacement.length) out.push(replacement[0].space === t.space ? replacement[0] : { ...replacement[0], space: t.space });
        for (let j = 1; j < replacement.length; j++) out.push(replacement[j]);
        continue;
      }
      out.push(t);
    }
    const result: Token[] = [];
    // The tokens of one expansion share few distinct hide sets: merge each once.
    const merged = new Map<ReadonlySet<string> | undefined, ReadonlySet<string>>();
    for (const r of out) {
      if (r.kind === 'placemarker') continue;
      let h = merged.get(r.hide);
      if (!h) merged.set(r.hide, (h = mergeHide(r.hide, hide)));
      result.push({
        kind: r.kind,
        text: r.text,
        file: site.file,
        offset: site.offset,
        line: site.line,
        col: site.col,
        space: result.length === 0 ? site.space : r.space,
        bol: false,
        hide: h,
        noexpand: r.noexpand,
      });
    }
    return result;
  }

  private paste(left: Token, right: Token, site: Token): Token[] {
    if (left.kind === 'placemarker') return [right];
    if (right.kind === 'placemarker') return [left];
    const text = left.text + right.text;
    const relexed = lex(new SourceFile(site.file.path, site.file.displayPath, text), new Diagnostics()).tokens;
    if (relexed.length !== 1) {
      this.diags.error('UG106', `pasting "${left.text}" and "${right.text}" does not give a valid preprocessing token`, site);
      return [left, right];
    }
    return [{ ...left, kind: relexed[0].kind, text, hide: mergeHide(left.hide, right.hide ?? EMPTY) }];
  }
}

/** A token the expansion makes (a stringized argument, a placemarker), placed at the macro use. */
function madeAt(site: Token, kind: Token['kind'], text: string, space: boolean): Token {
  return { kind, text, file: site.file, offset: site.offset, line: site.line, col: site.col, space, bol: false, hide: undefined, noexpand: false };
}

function stringize(arg: Token[]): string {
  let s = '';
  arg.forEach((t, k) => {
    if (k > 0 && t.space) s += ' ';
    s += t.kind === 'string' || t.kind === 'char' ? t.text.replace(/[\\"]/g, (c) => '\\' + c) : t.text;
  });
  return '"' + s + '"';
}
