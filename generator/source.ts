// A source file as read from disk, with what is needed to turn offsets into line:col
// and to quote a line under a diagnostic.
import { createHash } from 'node:crypto';

/** Index of the last element of an ascending array that is <= x (0 when none is). */
export function lastAtOrBefore(sorted: readonly number[], x: number): number {
  let lo = 0;
  let hi = sorted.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (sorted[mid] <= x) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

export class SourceFile {
  private lineStarts: number[] | undefined;

  constructor(
    /** Absolute path, or a pseudo name such as `<command line>`. */
    readonly path: string,
    /** How diagnostics name the file: as included (`linux/vfio.h`) or as given. */
    readonly displayPath: string,
    readonly text: string,
  ) {}

  get sha256(): string {
    return createHash('sha256').update(this.text).digest('hex');
  }

  private starts(): number[] {
    if (!this.lineStarts) {
      const s = [0];
      for (let i = 0; i < this.text.length; i++) if (this.text.charCodeAt(i) === 10) s.push(i + 1);
      this.lineStarts = s;
    }
    return this.lineStarts;
  }

  /** 1-based line and column of an offset. */
  position(offset: number): { line: number; col: number } {
    const s = this.starts();
    const k = lastAtOrBefore(s, offset);
    return { line: k + 1, col: offset - s[k] + 1 };
  }

  lineText(line: number): string | undefined {
    const s = this.starts();
    if (line < 1 || line > s.length) return undefined;
    const end = line < s.length ? s[line] - 1 : this.text.length;
    return this.text.slice(s[line - 1], end).replace(/\r$/, '');
  }
}
