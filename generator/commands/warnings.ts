// Warnings from a command's models, on stderr. A model keeps its diagnostics; errors stop the
// run and are printed where it stops (cli.ts), but a warning (#warning, a macro redefined) comes
// with a model that was built, and was never shown. The same warning from the x86_64 and i386
// models of one header is printed once.
import { Diagnostic, formatDiagnostic } from '../diagnostics.js';

export class WarningPrinter {
  private readonly printed = new Set<string>();

  constructor(private readonly write: (text: string) => void = (t) => process.stderr.write(t)) {}

  print(diagnostics: readonly Diagnostic[]): void {
    const color = process.stderr.isTTY === true;
    for (const d of diagnostics) {
      if (d.severity !== 'warning') continue;
      const text = formatDiagnostic(d, color);
      if (this.printed.has(text)) continue;
      this.printed.add(text);
      this.write(text + '\n');
    }
  }
}
