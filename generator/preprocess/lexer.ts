// Translation phases 1-3 for one file: preprocessing tokens, with positions, and the comments
// beside them (the model attaches comments to what they document, so they are kept, not dropped).
import { Diagnostics } from '../diagnostics.js';
import { SourceFile } from '../source.js';

/** `placemarker` stands for an empty macro argument next to `##` while pasting (C 6.10.3.3). */
export type TokenKind = 'ident' | 'number' | 'char' | 'string' | 'punct' | 'other' | 'placemarker';

export interface Token {
  kind: TokenKind;
  text: string;
  file: SourceFile;
  /** Offset in the file; for a token made by macro expansion, that of the macro use. */
  offset: number;
  line: number;
  col: number;
  /** White space (or a comment) stands before it: needed for `#` stringizing and for `#define F(`. */
  space: boolean;
  /** First token of a logical line: where directives start. */
  bol: boolean;
  /** Macros that must not expand this token again (the hide set of the C standard's algorithm). */
  hide?: ReadonlySet<string>;
  /** Set on an identifier that named a macro but was not expanded (painted blue): it stays unexpanded. */
  noexpand?: boolean;
  /**
   * A #if operand uapigen cannot answer (`__has_attribute(x)`), standing as 0 with the reason:
   * an error only where it is evaluated, so glibc's `__GNUC_PREREQ (3, 4) || __has_attribute (x)`
   * reads as gcc reads it.
   */
  unanswered?: string;
}

export interface Comment {
  file: SourceFile;
  line: number;
  endLine: number;
  text: string;
  /** Code stands before it on its first line: `#define X 1 /* what X is *\/`. */
  trailing: boolean;
}

export interface LexedFile {
  file: SourceFile;
  tokens: Token[];
  comments: Comment[];
}

const PUNCTUATORS = [
  '...', '<<=', '>>=', '->', '++', '--', '<<', '>>', '<=', '>=', '==', '!=', '&&', '||',
  '*=', '/=', '%=', '+=', '-=', '&=', '^=', '|=', '##',
];
const SINGLE = new Set('[](){}.&*+-~!/%<>^|?:;=,#'.split(''));

function isIdentStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || c === 36;
}
function isIdentChar(c: number): boolean {
  return isIdentStart(c) || (c >= 48 && c <= 57);
}
function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

export function lex(file: SourceFile, diags: Diagnostics): LexedFile {
  const s = file.text;
  const n = s.length;
  const tokens: Token[] = [];
  const comments: Comment[] = [];
  let i = 0;
  let line = 1;
  let lineStart = 0;
  let bol = true;
  let space = false;
  let lastTokenLine = 0;

  const push = (kind: TokenKind, start: number, startLine: number, startCol: number) => {
    tokens.push({ kind, text: s.slice(start, i), file, offset: start, line: startLine, col: startCol, space, bol, hide: undefined, noexpand: false });
    lastTokenLine = startLine;
    bol = false;
    space = false;
  };

  while (i < n) {
    const c = s.charCodeAt(i);
    if (c === 10) {
      i++;
      line++;
      lineStart = i;
      bol = true;
      space = false;
      continue;
    }
    if (c === 32 || c === 9 || c === 13 || c === 12 || c === 11) {
      i++;
      space = true;
      continue;
    }
    if (c === 92 /* \ */) {
      // A line splice joins two physical lines into one logical line.
      let j = i + 1;
      while (j < n && (s.charCodeAt(j) === 32 || s.charCodeAt(j) === 9 || s.charCodeAt(j) === 13)) j++;
      if (j < n && s.charCodeAt(j) === 10) {
        i = j + 1;
        line++;
        lineStart = i;
        space = true;
        continue;
      }
    }
    const startCol = i - lineStart + 1;
    const start = i;
    const startLine = line;
    if (c === 47 /* / */ && s.charCodeAt(i + 1) === 42 /* * */) {
      const end = s.indexOf('*/', i + 2);
      if (end < 0) {
        diags.fatal('UG102', 'unterminated comment', { file, line: startLine, col: startCol });
      }
      for (let k = i; k < end; k++) {
        if (s.charCodeAt(k) === 10) {
          line++;
          lineStart = k + 1;
        }
      }
      i = end + 2;
      comments.push({ file, line: startLine, endLine: line, text: s.slice(start, i), trailing: lastTokenLine === startLine && !bol });
      space = true;
      continue;
    }
    if (c === 47 && s.charCodeAt(i + 1) === 47) {
      let end = s.indexOf('\n', i);
      if (end < 0) end = n;
      comments.push({ file, line: startLine, endLine: startLine, text: s.slice(start, end), trailing: lastTokenLine === startLine && !bol });
      i = end;
      space = true;
      continue;
    }
    if (isIdentStart(c)) {
      i++;
      while (i < n && isIdentChar(s.charCodeAt(i))) i++;
      // String and character prefixes: L"..", u8"..", u'..'.
      const q = s.charCodeAt(i);
      const word = s.slice(start, i);
      if ((q === 34 || q === 39) && (word === 'L' || word === 'u' || word === 'U' || word === 'u8')) {
        lexQuoted(q);
        push(q === 34 ? 'string' : 'char', start, startLine, startCol);
        continue;
      }
      push('ident', start, startLine, startCol);
      continue;
    }
    if (isDigit(c) || (c === 46 && isDigit(s.charCodeAt(i + 1)))) {
      i++;
      while (i < n) {
        const d = s.charCodeAt(i);
        if ((d === 43 || d === 45) && /[eEpP]/.test(s[i - 1])) {
          i++;
        } else if (isIdentChar(d) || d === 46) {
          i++;
        } else break;
      }
      push('number', start, startLine, startCol);
      continue;
    }
    if (c === 34 || c === 39) {
      lexQuoted(c);
      push(c === 34 ? 'string' : 'char', start, startLine, startCol);
      continue;
    }
    let matched = '';
    for (const p of PUNCTUATORS) {
      if (s.startsWith(p, i)) {
        matched = p;
        break;
      }
    }
    if (matched) {
      i += matched.length;
      push('punct', start, startLine, startCol);
      continue;
    }
    i++;
    push(SINGLE.has(s[start]) ? 'punct' : 'other', start, startLine, startCol);
  }
  return { file, tokens, comments };

  /** Reads a quoted literal; an unterminated one ends at the line end and is left to whoever uses it. */
  function lexQuoted(quote: number): void {
    i++;
    while (i < n) {
      const d = s.charCodeAt(i);
      if (d === 92) {
        i += 2;
        continue;
      }
      if (d === 10) return;
      i++;
      if (d === quote) return;
    }
  }
}

/** Spells tokens back as source text, one space where the source had white space. */
export function spell(tokens: readonly Token[]): string {
  let out = '';
  for (let k = 0; k < tokens.length; k++) {
    if (k > 0 && tokens[k].space) out += ' ';
    out += tokens[k].text;
  }
  return out;
}
