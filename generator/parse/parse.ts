// Runs the peggy parser over preprocessed tokens. The tokens are spelled one after another,
// separated by a space, and an offset table maps any text offset back to its token's source
// location, so syntax errors and AST nodes point into the header, not into the spelled text.
import { Diagnostics, Loc } from '../diagnostics.js';
import { lastAtOrBefore } from '../source.js';
import { Token } from '../preprocess/lexer.js';
import { parse as peggyParse, SyntaxError as PeggySyntaxError, type PeggyExpectation } from './c-parser.js';
import { Expr, ExternalDeclaration, TypeName } from './ast.js';
import { firstTooDeep, isStackExhausted, NESTING_LIMIT } from '../preprocess/nesting.js';

type StartRule = 'TranslationUnit' | 'ExpressionOnly' | 'TypeNameOnly';

interface Spelled {
  text: string;
  starts: number[];
}

function spellTokens(tokens: readonly Token[]): Spelled {
  const starts: number[] = new Array(tokens.length);
  const parts: string[] = new Array(tokens.length);
  let offset = 0;
  for (let k = 0; k < tokens.length; k++) {
    starts[k] = offset;
    parts[k] = tokens[k].text;
    offset += tokens[k].text.length + 1;
  }
  return { text: parts.join(' '), starts };
}

function locator(tokens: readonly Token[], starts: number[], fallback: Loc): (offset: number) => Loc {
  return (offset: number) => {
    if (tokens.length === 0) return fallback;
    const k = lastAtOrBefore(starts, offset);
    const t = tokens[k];
    // Inside a token that came straight from the source, point at the exact column.
    const within = Math.min(offset - starts[k], t.text.length);
    return { file: t.file, line: t.line, col: t.col + (t.hide ? 0 : within) };
  };
}

export class ParseFailure extends Error {}

function run<T>(start: StartRule, tokens: readonly Token[], typedefs: Set<string>, diags: Diagnostics, fallback: Loc): T {
  const deep = firstTooDeep(tokens);
  if (deep) {
    diags.error('UG203', `brackets nested more than ${NESTING_LIMIT} deep`, { file: deep.file, line: deep.line, col: deep.col });
    throw new ParseFailure('nested too deep');
  }
  const { text, starts } = spellTokens(tokens);
  const locate = locator(tokens, starts, fallback);
  try {
    const result = peggyParse(text, { startRule: start, typedefs }) as T;
    locateAll(result, locate);
    return result;
  } catch (e) {
    if (isStackExhausted(e)) {
      const at = tokens.length ? { file: tokens[0].file, line: tokens[0].line, col: tokens[0].col } : fallback;
      diags.error('UG203', 'nested too deep to parse, below this point (a long chain of unary operators or casts?)', at);
      throw new ParseFailure('nested too deep');
    }
    if (!(e instanceof PeggySyntaxError)) throw e;
    const offset = e.location.start.offset;
    const found = offset >= text.length ? 'end of input' : `'${tokens[lastAtOrBefore(starts, offset)].text}'`;
    const expected = describeExpected(e.expected);
    diags.error('UG201', `syntax error: expected ${expected} before ${found}`, offset >= text.length && tokens.length ? endOf(tokens[tokens.length - 1]) : locate(offset));
    throw new ParseFailure(e.message);
  }
}

/** Replaces the text offsets the grammar leaves in `at`, `endAt` and `nameAt` with source locations. */
function locateAll(node: unknown, locate: (offset: number) => Loc): void {
  if (Array.isArray(node)) {
    for (const x of node) locateAll(x, locate);
    return;
  }
  if (node === null || typeof node !== 'object') return;
  const o = node as Record<string, unknown>;
  for (const key in o) {
    const v = o[key];
    if ((key === 'at' || key === 'endAt' || key === 'nameAt') && typeof v === 'number') o[key] = locate(v);
    else if (v !== null && typeof v === 'object') locateAll(v, locate);
  }
}

function endOf(t: Token): Loc {
  return { file: t.file, line: t.line, col: t.col + (t.hide ? 0 : t.text.length) };
}

/**
 * What one expectation reads as in a message. peggy folds alternatives of single characters
 * (`"~" / "!"`) into a character class, which would otherwise read as the word "class".
 */
function describeOne(x: PeggyExpectation): string[] {
  switch (x.type) {
    case 'other':
      return [x.description];
    case 'literal':
      return [`'${x.text}'`];
    case 'class':
      return x.inverted ? ['another character'] : x.parts.map((p) => (typeof p === 'string' ? `'${p}'` : `'${p[0]}' to '${p[1]}'`));
    case 'end':
      return ['end of input'];
    case 'any':
      return ['any character'];
  }
}

function describeExpected(expected: PeggySyntaxError['expected']): string {
  if (!expected || expected.length === 0) return 'something else';
  const names = [...new Set(expected.flatMap(describeOne))]
    .filter((n) => n !== 'whitespace')
    .sort();
  if (names.length === 0) return 'something else';
  if (names.length === 1) return names[0];
  return `${names.slice(0, -1).join(', ')} or ${names[names.length - 1]}`;
}

/** Parses a whole translation unit; a syntax error is reported and ends the parse. */
export function parseTranslationUnit(tokens: readonly Token[], typedefs: Set<string>, diags: Diagnostics, fallback: Loc): ExternalDeclaration[] {
  return run<ExternalDeclaration[]>('TranslationUnit', tokens, typedefs, diags, fallback);
}

/** Parses without reporting: undefined when the tokens are not of that form. */
function tryParse<T>(start: StartRule, tokens: readonly Token[], typedefs: Set<string>, fallback: Loc): T | undefined {
  try {
    return run<T>(start, tokens, typedefs, new Diagnostics(), fallback);
  } catch (e) {
    if (e instanceof ParseFailure) return undefined;
    throw e;
  }
}

/** Parses the expansion of a macro as an expression; undefined when it is not one. */
export function tryParseExpression(tokens: readonly Token[], typedefs: Set<string>, fallback: Loc): Expr | undefined {
  return tryParse<Expr>('ExpressionOnly', tokens, typedefs, fallback);
}

/** Parses an ioctl's argument (`struct vfio_region_info`) as a type name. */
export function tryParseTypeName(tokens: readonly Token[], typedefs: Set<string>, fallback: Loc): TypeName | undefined {
  return tryParse<TypeName>('TypeNameOnly', tokens, typedefs, fallback);
}
