// Attaches comments to what they document: a comment on the same line after the construct
// (`#define X 1 /* what X is */`), else the comment block that ends on the line just above.
import { Loc } from '../diagnostics.js';
import { Comment } from '../preprocess/lexer.js';
import { SourceFile } from '../source.js';

export class DocComments {
  private readonly trailing = new Map<SourceFile, Map<number, Comment>>();
  private readonly above = new Map<SourceFile, Map<number, Comment>>();

  constructor(comments: Map<SourceFile, Comment[]>) {
    for (const [file, list] of comments) {
      const t = new Map<number, Comment>();
      const a = new Map<number, Comment>();
      for (const c of list) {
        if (c.trailing) {
          if (!t.has(c.line)) t.set(c.line, c);
        } else a.set(c.endLine, c);
      }
      this.trailing.set(file, t);
      this.above.set(file, a);
    }
  }

  for(loc: Loc): string | undefined {
    const c = this.trailing.get(loc.file)?.get(loc.line) ?? this.above.get(loc.file)?.get(loc.line - 1);
    return c ? cleanComment(c.text) : undefined;
  }

  /** Every comment of a file, for passes that search comment text (ioctl declarations). */
  static all(comments: Map<SourceFile, Comment[]>, file: SourceFile): Comment[] {
    return comments.get(file) ?? [];
  }
}

/** The text of a comment without its delimiters and the leading `*` of each line. */
export function cleanComment(text: string): string {
  let body = text.startsWith('//') ? text.slice(2) : text.slice(2, -2);
  body = body.replace(/^\*+/, '');
  const lines = body.split('\n').map((l) => l.replace(/^\s*\*?\s?/, '').trimEnd());
  while (lines.length && lines[0].trim() === '') lines.shift();
  while (lines.length && lines[lines.length - 1].trim() === '') lines.pop();
  return lines.join('\n').trim();
}
