// Parses the preprocessed translation unit with the peggy grammar.
import { Declarations } from '../model/declarations.js';
import { parseTranslationUnit, ParseFailure } from '../parse/parse.js';
import type { Session } from '../pipeline.js';

export function parse(s: Session): void {
  const typedefs = new Set(Declarations.builtinTypedefNames());
  const first = s.headers[0].file;
  try {
    s.ast = parseTranslationUnit(s.pp!.tokens, typedefs, s.diags, { file: first, line: 1, col: 1 });
  } catch (e) {
    if (!(e instanceof ParseFailure)) throw e;
  }
  s.model.declarations.parserTypedefs = typedefs;
}
