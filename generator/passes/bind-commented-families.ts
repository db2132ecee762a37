// io_uring.h's convention: a run of #defines outside any record, under a comment that names the
// field they are the values of, the way C code reaches it (`sqe->flags`, `flags for
// kvm_s390_mem_op->flags`, `how->resolve flags`, `(bfs_inode->i_vtype)`), or by a word
// (fuse.h's `WRITE flags`, `fuse_attr flags`). The comment is the author saying where the run
// belongs, so it is read before the position rules of bind-flag-families.ts, which then leave
// alone what it bound.
//
// Only a heading counts: the comment right above the run, whose first line names one field as
// its subject (at its start, after "flags for" and the like, in brackets, or after "stored
// in"; `timex.status` as well as `sqe->flags`). A reference in passing (`/* select buffer
// from sqe->buf_group */` above one member, `If sqe->file_index is set to this`) binds nothing.
import { Loc } from '../diagnostics.js';
import { cleanComment } from '../model/doc-comments.js';
import { Constant, FlagEncoding, RecordModel } from '../model/model.js';
import type { Comment } from '../preprocess/lexer.js';
import type { Session } from '../pipeline.js';
import {
  classifyFlags,
  commonPrefix,
  conventionEncoding,
  familyName,
  fieldLines,
  fitsField,
  readLines,
  RESERVED_FIELD,
  runPrefix,
  type FieldLine,
  type FileLines,
} from './bind-flag-families.js';

/**
 * A field as C code reaches it: `sqe->flags`, `timex.status`, `kvm_s390_zpci_op->u.reg_aen.flags`.
 * Not a call (`ff->playback(...)`), and not the tail of a longer name (`bpf_attr.test.cpu` is one).
 */
const REF = String.raw`(?<![\w.])([A-Za-z_]\w*)\s*(?:->|\.)\s*([A-Za-z_]\w*(?:\s*(?:\.|->)\s*[A-Za-z_]\w*)*)(?![\w(]|\s*\()`;
const NAMES_A_FIELD = new RegExp(REF);
/**
 * What may stand before the reference on a heading's first line for it to be the subject: nothing
 * (`sqe->flags`), a word for the members and a preposition (`flags for`, `Bits of the`,
 * `Bitmasks for`), `For`, `stored in`, or a bracket it closes (`CD-ROM address types (cdrom_tocentry.cdte_format)`).
 */
const LEADS = [
  /^$/,
  /\b(?:flags?|values?|types?|bits?|bitmasks?|codes|commands|modes|states)\s+(?:for|of|in)\s+(?:the\s+)?$/i,
  /^For\s+$/i,
  /\bstored in\s+$/i,
];
const SAYS_FLAGS = /\b(flags?|bits?|bitmasks?)\b/i;
const SAYS_TYPES = /\btypes?\b/i;

/**
 * A heading that names its field by one word and what the run is (fuse.h's `fuse_attr flags`,
 * `WRITE flags`; fsmap.h's `fmh_iflags values`; cec.h's `cec_msg flags field`): a record whose
 * `flags` these are, or the one field of the file of that name or that name with `_flags`.
 */
const NAMED_BY_WORD = /^(?:struct\s+)?([A-Za-z_]\w*)\s+(flags|values|bits|types)(?:\s+field)?\s*:?$/i;

interface Heading {
  /** The reference as written, spaces dropped (`sqe->flags`), or the heading's word (`WRITE`). */
  ref: string;
  /** The variable or record before the path; undefined for a heading by word (resolved by `byWord`). */
  variable?: string;
  /** Dotted, as fieldLines names fields (`u.reg_aen.flags`); for a heading by word, the word. */
  path: string;
  byWord?: true;
  /** What the heading's words say the run is, when they say. */
  encoding?: FlagEncoding;
  comment: Comment;
}

const commentLines = (comment: Comment) =>
  cleanComment(comment.text)
    .split('\n')
    .map((l) => l.trim());
const firstLine = (comment: Comment) => commentLines(comment).find((l) => l !== '') ?? '';

/**
 * The field a comment heads the values of, or undefined: named as the subject of its first line,
 * the only field that line names; or, under btrfs's `Used by:`, the one record field listed.
 */
function heading(comment: Comment): Heading | undefined {
  if (comment.trailing) return undefined;
  const lines = commentLines(comment);
  const first = lines.find((l) => l !== '') ?? '';
  const refs = [...first.matchAll(new RegExp(REF, 'g'))];
  let ref: RegExpMatchArray | undefined;
  if (refs.length === 1) {
    const [m] = refs;
    const lead = first.slice(0, m.index);
    const closed = /\(\s*$/.test(lead) && /^\s*\)/.test(first.slice(m.index! + m[0].length));
    // `cqe.res for IORING_CQE_F_NOTIF if ...`: the field holds these in one case only; bound, it would be typed by them in all.
    const conditional = /\b(if|when|unless)\b|\b[A-Z][A-Z0-9]*_[A-Z0-9_]+\b/.test(first.slice(m.index! + m[0].length));
    if (!conditional && (closed || LEADS.some((l) => l.test(lead)))) ref = m;
  } else if (refs.length === 0 && NAMED_BY_WORD.test(first)) {
    const [, word, what] = NAMED_BY_WORD.exec(first)!;
    return {
      ref: word,
      path: word,
      byWord: true,
      encoding: SAYS_FLAGS.test(what) ? 'flags' : SAYS_TYPES.test(what) ? 'values' : undefined,
      comment,
    };
  } else if (refs.length === 0) {
    const usedBy = lines.findIndex((l) => /^Used by:?$/i.test(l));
    const end = lines.indexOf('', usedBy + 1);
    const users = usedBy < 0 ? [] : lines.slice(usedBy + 1, end < 0 ? undefined : end);
    const user = users.length === 1 ? /^struct\s+(.*)$/.exec(users[0]) : null;
    if (user) ref = new RegExp(`^${REF}$`).exec(user[1]) ?? undefined;
  }
  if (!ref) return undefined;
  // The words beside the reference, not in it: `flags for x->op` says flags, `x->flags` alone nothing.
  const words = first.replace(ref[0], ' ');
  const path = ref[2].replace(/\s+/g, '').replace(/->/g, '.');
  const encoding = SAYS_FLAGS.test(words) ? 'flags' : SAYS_TYPES.test(words) ? 'values' : undefined;
  return { ref: ref[0].replace(/\s+/g, ''), variable: ref[1], path, encoding, comment };
}

/**
 * The record a heading's variable stands for: the record of that name, else the one record of
 * the comment's file whose name ends in `_<variable>` (`sqe`: io_uring_sqe; `how`: open_how).
 */
function recordOf(s: Session, variable: string, file: Loc['file']): RecordModel | undefined {
  const exact = s.model.records.find((r) => r.name === variable);
  if (exact) return exact;
  if (variable.length < 2) return undefined;
  const bySuffix = s.model.records.filter((r) => r.loc.file === file && r.name.endsWith(`_${variable}`));
  return bySuffix.length === 1 ? bySuffix[0] : undefined;
}

/** Whether `c` extends the run: it shares a prefix with it, and after a blank line the run's own prefix. */
function continues(run: Constant[], c: Constant, parted: boolean): boolean {
  if (run.length === 0) return true;
  return parted ? runPrefix([...run, c]) === runPrefix(run) : commonPrefix([...run, c].map((r) => r.name)) !== '';
}

/** The record and field a heading names, when the unit has them. */
function fieldOf(s: Session, h: Heading, file: Loc['file']): { record?: RecordModel; field?: FieldLine } {
  if (h.byWord) return byWord(s, h.path, file);
  const record = recordOf(s, h.variable!, file);
  return { record, field: record && fieldLines(record.decl).find((f) => f.path === h.path) };
}

/** The field a heading by word names: `<record> flags` is that record's `flags`; else the one field of the file called the word (an identifier), or the word and `_flags`. */
function byWord(s: Session, word: string, file: Loc['file']): { record?: RecordModel; field?: FieldLine } {
  const record = s.model.records.find((r) => r.name === word);
  const flags = record && fieldLines(record.decl).find((f) => f.path === 'flags');
  if (record && flags) return { record, field: flags };
  // A plain word names a field only with `_flags` (`WRITE flags`: write_flags): alone it is English
  // (dm-ioctl.h's `Status bits` are dm_ioctl.flags's, not the one field called status).
  const names = [...(word.includes('_') ? [word] : []), `${word.toLowerCase()}_flags`];
  const found = s.model.records
    .filter((r) => r.loc.file === file)
    .flatMap((r) =>
      fieldLines(r.decl)
        .filter((f) => names.includes(f.path.slice(f.path.lastIndexOf('.') + 1)))
        .map((field) => ({ record: r, field })),
    );
  return found.length === 1 ? found[0] : {};
}

/** What runAfter reads of one file: its lines, its constants and comments by line, and which comments are headings. */
interface FileContext {
  lines: FileLines;
  constantAt: Map<number, Constant>;
  commentAt: Map<number, Comment>;
  headings: Set<Comment>;
}

/**
 * The #defines of integer constants that follow a heading: on the next line, or with only
 * comment lines between, up to other code, another heading, or a name that shares no prefix with
 * the run (`SPLICE_F_FD_IN_FIXED` after the `IORING_TIMEOUT_*`). A blank line ends it unless the
 * next #define keeps the run's prefix (timex.h's `STA_*`, in groups of four).
 */
function runAfter(h: Heading, { lines, constantAt, commentAt, headings }: FileContext): Constant[] {
  const run: Constant[] = [];
  let parted = false;
  for (let l = h.comment.endLine + 1; ;) {
    if (!lines.tokens.has(l)) {
      // Comment lines: a member's note, its trailing comment running on (openat2.h), or the next heading.
      const comment = commentAt.get(l);
      // After a blank line, a comment on another field (`cqe.res for ...` below io_uring's send flags) starts something else too.
      if (comment && run.length > 0 && (headings.has(comment) || (parted && NAMES_A_FIELD.test(firstLine(comment)))))
        break;
      if (!lines.comments.has(l)) {
        if (run.length === 0 || l > lines.last) break;
        parted = true;
      }
      l++;
      continue;
    }
    const c = constantAt.get(l);
    if (!c || !continues(run, c, parted)) break;
    run.push(c);
    parted = false;
    l++;
    while (lines.directives.get(l) === c.loc.line) l++;
  }
  return run;
}

export function bindCommentedFamilies(s: Session): void {
  const constantsByFile = new Map<Loc['file'], Map<number, Constant>>();
  for (const c of s.model.constants) {
    if (c.kind !== 'integer') continue;
    const byLine = constantsByFile.get(c.loc.file) ?? new Map<number, Constant>();
    byLine.set(c.loc.line, c);
    constantsByFile.set(c.loc.file, byLine);
  }
  const named: { heading: Heading; record: RecordModel; field: FieldLine; file: FileContext }[] = [];
  for (const [file, constantAt] of constantsByFile) {
    const comments = s.pp?.comments.get(file) ?? [];
    const headings = comments.map(heading).filter((h): h is Heading => h !== undefined);
    if (headings.length === 0) continue;
    const lines = readLines(s, file);
    if (!lines) continue;
    const context: FileContext = {
      lines,
      constantAt,
      commentAt: new Map(comments.map((c) => [c.line, c])),
      headings: new Set(headings.map((h) => h.comment)),
    };
    for (const h of headings) {
      const { record, field } = fieldOf(s, h, file);
      if (record && field?.type && !RESERVED_FIELD.test(field.path))
        named.push({ heading: h, record, field, file: context });
    }
  }
  // Two headings naming one field (io_uring's send and accept flags, both in `sqe->ioprio`): what
  // the field holds depends on something else (the opcode), so neither binds.
  const headingsOf = new Map<string, number>();
  const fieldKey = (n: { record: RecordModel; field: FieldLine }) => `${n.record.name}.${n.field.path}`;
  for (const n of named) headingsOf.set(fieldKey(n), (headingsOf.get(fieldKey(n)) ?? 0) + 1);
  for (const { heading: h, record, field, file } of named) {
    if (headingsOf.get(fieldKey({ record, field }))! > 1) continue;
    const run = runAfter(h, file);
    // A lone value under a heading is more often a sentinel (`IORING_FILE_INDEX_ALLOC ~0U`) than a field's values; a lone flag is a family.
    const loneValue = run.length === 1 && !classifyFlags(run).every((m) => m.kind === 'bit');
    if (run.length === 0 || loneValue || !fitsField(s, field.type, run)) continue;
    const encoding = conventionEncoding(run, field.path, h.encoding);
    s.model.flagFamilies.push({
      name: familyName(
        run.map((c) => c.name),
        record.name,
      ),
      record: record.name,
      field: field.path,
      members: classifyFlags(run, encoding),
      encoding,
      source: 'comment',
      namedBy: { ref: h.ref, loc: { file: h.comment.file, line: h.comment.line, col: 1 } },
    });
  }
}
