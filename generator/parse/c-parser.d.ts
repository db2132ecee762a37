// Types of the parser peggy generates from c-subset.peggy into dist/ at build time.
export interface PeggyLocation {
  source: unknown;
  start: { offset: number; line: number; column: number };
  end: { offset: number; line: number; column: number };
}
export class SyntaxError extends Error {
  location: PeggyLocation;
  expected: { type: string; description?: string; text?: string }[] | null;
  found: string | null;
}
export function parse(input: string, options?: Record<string, unknown>): unknown;
