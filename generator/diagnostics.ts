// Diagnostics are gathered with a location and a stable code, then reported together:
// a stage reports every problem it can find before the pipeline stops.
import { SourceFile } from './source.js';

export type Severity = 'error' | 'warning' | 'note';

/** A position in a source file; line and column are 1-based, as gcc prints them. */
export interface Loc {
  file: SourceFile;
  line: number;
  col: number;
}

export interface Diagnostic {
  code: DiagnosticCode;
  severity: Severity;
  message: string;
  loc?: Loc;
  /** Secondary locations, e.g. the earlier definition of a redefined macro. */
  related?: { message: string; loc: Loc }[];
}

/**
 * Every diagnostic code, with what it means. Codes are stable: tests and users match on them.
 * UG1xx preprocessor, UG2xx parser, UG3xx model, UG5xx diff, UG9xx input, usage and output.
 * (verify's mismatches with gcc are its report, not diagnostics: it exits 1, not 2.)
 */
export const DIAGNOSTIC_CODES = {
  UG101: 'include file not found',
  UG102: 'unterminated comment',
  UG103: 'macro called with the wrong number of arguments',
  UG104: '#if expression cannot be evaluated',
  UG105: '#error directive reached',
  UG106: 'malformed preprocessor directive',
  UG107: 'unterminated conditional (#if without #endif) or stray #else/#elif/#endif',
  UG108: 'unterminated macro call',
  UG109: 'include nesting too deep',
  UG110: '#warning directive reached',
  UG112: 'macro expansion too large, or nested too deep',
  UG113: 'macro redefined with another definition (a warning, as in gcc)',
  UG201: 'syntax error',
  UG202: 'declaration outside the UAPI subset skipped',
  UG203: 'nested too deep to parse',
  UG301: 'unknown type name',
  UG302: 'incomplete type where a complete one is needed',
  UG303: 'constant expression cannot be evaluated',
  UG304: 'override names something the header does not have',
  UG305: 'redefinition of a tag, an enumerator or a typedef (with another type)',
  UG306: 'a member C does not allow (misplaced flexible array, bad bit-field, duplicate name)',
  UG307: 'an object too large for the ABI, or for exact arithmetic',
  UG501: 'a patch hunk cannot be placed, or the patch has no usable hunk',
  UG901: 'input file cannot be read',
  UG902: 'bad command-line usage',
  UG903: 'the output directory is a file, or holds a file uapigen did not write where it would write one',
} as const;
export type DiagnosticCode = keyof typeof DIAGNOSTIC_CODES;

/** Thrown to stop a stage after at least one error was recorded. Carries all of them. */
export class DiagnosticError extends Error {
  constructor(readonly diagnostics: Diagnostic[]) {
    super(diagnostics.map((d) => d.message).join('; '));
  }
}

/** The sink every stage reports into. */
export class Diagnostics {
  readonly list: Diagnostic[] = [];
  private readonly seen = new Set<string>();

  /**
   * Records a diagnostic, once: a problem met again on another path to the same spot (a
   * record laid out inside each record that holds it) is the same problem, and is not repeated.
   */
  report(d: Diagnostic): void {
    const key = `${d.code} ${d.loc ? `${d.loc.file.displayPath}:${d.loc.line}:${d.loc.col}` : ''} ${d.message}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.list.push(d);
  }
  error(code: DiagnosticCode, message: string, loc?: Loc): void {
    this.report({ code, severity: 'error', message, loc });
  }
  warning(code: DiagnosticCode, message: string, loc?: Loc): void {
    this.report({ code, severity: 'warning', message, loc });
  }
  note(code: DiagnosticCode, message: string, loc?: Loc): void {
    this.report({ code, severity: 'note', message, loc });
  }
  get errorCount(): number {
    return this.list.filter((d) => d.severity === 'error').length;
  }
  /** Ends the stage if it recorded an error. */
  throwIfErrors(): void {
    if (this.errorCount > 0) throw new DiagnosticError(this.list.filter((d) => d.severity === 'error'));
  }
  /** Records an error and ends the stage at once: for errors after which nothing sensible follows. */
  fatal(code: DiagnosticCode, message: string, loc?: Loc): never {
    this.error(code, message, loc);
    throw new DiagnosticError(this.list.filter((d) => d.severity === 'error'));
  }
}

/**
 * Renders a diagnostic as gcc and rustc users expect:
 *   file:line:col: error[UG201]: message
 *    12 | the source line
 *       |     ^
 */
export function formatDiagnostic(d: Diagnostic, color = false): string {
  const paint = (code: string, s: string) => (color ? `\x1b[${code}m${s}\x1b[0m` : s);
  const sevColor = d.severity === 'error' ? '1;31' : d.severity === 'warning' ? '1;35' : '1;36';
  const where = d.loc ? `${d.loc.file.displayPath}:${d.loc.line}:${d.loc.col}: ` : 'uapigen: ';
  const out = [`${paint('1', where)}${paint(sevColor, `${d.severity}[${d.code}]`)}: ${d.message}`];
  if (d.loc) out.push(...excerpt(d.loc, paint));
  for (const r of d.related ?? []) {
    out.push(`  --> ${r.loc.file.displayPath}:${r.loc.line}:${r.loc.col}: note: ${r.message}`);
  }
  return out.join('\n');
}

function excerpt(loc: Loc, paint: (c: string, s: string) => string): string[] {
  const text = loc.file.lineText(loc.line);
  if (text === undefined) return [];
  const gutter = String(loc.line).length;
  const shown = text.replace(/\t/g, ' ');
  const caretCol = Math.max(1, Math.min(loc.col, shown.length + 1));
  return [
    `${' '.repeat(gutter)} |`,
    `${loc.line} | ${shown}`,
    `${' '.repeat(gutter)} | ${' '.repeat(caretCol - 1)}${paint('1;32', '^')}`,
  ];
}
