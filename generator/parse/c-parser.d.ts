// Types of the parser peggy generates from c-subset.peggy into dist/ at build time.
export interface PeggyLocation {
  source: unknown;
  start: { offset: number; line: number; column: number };
  end: { offset: number; line: number; column: number };
}
/** What the parser would have accepted where it failed (peggy's expectation objects). */
export type PeggyExpectation =
  | { type: 'literal'; text: string; ignoreCase: boolean }
  | { type: 'class'; parts: (string | [string, string])[]; inverted: boolean; ignoreCase: boolean }
  | { type: 'any' }
  | { type: 'end' }
  | { type: 'other'; description: string };
export class SyntaxError extends Error {
  location: PeggyLocation;
  expected: PeggyExpectation[] | null;
  found: string | null;
}
export function parse(input: string, options?: Record<string, unknown>): unknown;
