// How deep brackets may nest in what is parsed. The parsers descend once per level (the peggy
// grammar through every precedence rule of an expression), and past some hundreds of levels the
// engine's stack ran out: an internal error instead of a located one. C asks a compiler for 63
// levels of parentheses and of nested structs (C11 5.2.4.1); the deepest in any
// /usr/include/linux header of linux-libc-dev 6.1, macro expansions included, is 31.
import { Token } from './lexer.js';

export const NESTING_LIMIT = 128;

const OPEN = new Set(['(', '[', '{']);
const CLOSE = new Set([')', ']', '}']);

/** The first bracket that opens a level past NESTING_LIMIT, or undefined when none does. */
export function firstTooDeep(tokens: readonly Token[]): Token | undefined {
  let depth = 0;
  for (const t of tokens) {
    if (t.kind !== 'punct') continue;
    if (OPEN.has(t.text)) {
      if (++depth > NESTING_LIMIT) return t;
    } else if (CLOSE.has(t.text) && depth > 0) depth--;
  }
  return undefined;
}

/** Whether an error is the engine's stack running out: what a chain no bracket counts (`- - - ... 1`) ends in. */
export function isStackExhausted(e: unknown): boolean {
  return e instanceof RangeError && /call stack/i.test(e.message);
}
