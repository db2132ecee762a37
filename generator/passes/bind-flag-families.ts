// vfio.h's convention: a run of #defines written right after a struct field holds the values
// of that field (`VFIO_REGION_INFO_FLAG_*` follow `vfio_region_info.flags`). The family is
// bound to the field so that generated code can type the field by it.
// Other headers write the run before its field (virtio_net.h: VIRTIO_NET_HDR_F_* above `flags`,
// VIRTIO_NET_HDR_GSO_* above `gso_type`). So a run above a record's first field belongs to that
// field, and a run between two fields goes to the one below when it is written right above it
// and its names say so (GSO in `gso_type`, not in `flags`). A reserved field takes none. Runs
// whose names say nothing (VHOST_ACCESS_* above `perm`) need an override.
// A run that counts in decimal (VIRTIO_NET_HASH_REPORT_* 0 to 9), or whose codes one macro
// composes, is the field's values, one at a time, not flags (conventionEncoding).
import { Loc } from '../diagnostics.js';
import { Constant, FlagEncoding, FlagKind } from '../model/model.js';
import { CType, RecordDecl, resolve } from '../model/types.js';
import type { Session } from '../pipeline.js';

export interface FieldLine {
  path: string;
  line: number;
  /** Undefined for the line of an inline record (a boundary, not a field that takes values). */
  type?: CType;
}

/**
 * Every field of a record with its line, nested inline records included, as dotted paths. An
 * untagged record declared elsewhere (qnx4_fs.h's `typedef struct {...} qnx4_xtnt_t`) is not
 * inline: its lines lie outside this record, and the #defines there are not this record's.
 */
export function fieldLines(r: RecordDecl, prefix = '', outer: RecordDecl = r): FieldLine[] {
  const out: FieldLine[] = [];
  for (const m of r.members ?? []) {
    const t = resolve(m.type);
    const path = m.name ? prefix + m.name : prefix.replace(/\.$/, '');
    if (m.name) out.push({ path, line: m.at.line, type: m.type });
    const inline = t.kind === 'record' && !t.record.name && t.record.at.file === outer.at.file && t.record.at.line >= outer.at.line && t.record.endAt.line <= outer.endAt.line;
    if (t.kind === 'record' && inline) {
      out.push({ path: path || '(anonymous)', line: t.record.at.line });
      out.push(...fieldLines(t.record, m.name ? `${path}.` : prefix, outer));
    }
  }
  return out;
}

export function commonPrefix(names: string[]): string {
  if (names.length === 0) return '';
  let p = names[0];
  for (const n of names) while (!n.startsWith(p)) p = p.slice(0, -1);
  const cut = p.lastIndexOf('_');
  return cut >= 0 ? p.slice(0, cut + 1) : '';
}

/**
 * The family's name: the members' common prefix; for a lone member, what it shares with
 * the record's name (`VHOST_VFIO_NEED_REPLY` in vhost_vfio_op: `VHOST_VFIO_`).
 */
export function familyName(names: string[], record: string): string {
  const p = commonPrefix(names.length > 1 ? names : [names[0], record.toUpperCase() + '_']);
  return p || names[0];
}

/** A number as enumerations write one: a decimal literal, maybe parenthesised or suffixed (`3`, `(7U)`). */
const DECIMAL_LITERAL = /^\(?\s*\d+[uUlL]*\s*\)?$/;
const isSingleBit = (v: bigint) => v > 0n && (v & (v - 1n)) === 0n;

/**
 * The members of a family of values that are flags going with any value: single bits written
 * as flags are (hex, a shift), above the highest value and more than twice it
 * (`VIRTIO_NET_HDR_GSO_ECN 0x80` over the GSO types 0 to 4).
 */
function modifierBits(constants: Constant[], flags: bigint[]): Set<number> {
  const order = flags.map((_, k) => k).sort((a, b) => (flags[b] > flags[a] ? 1 : flags[b] < flags[a] ? -1 : 0));
  const writtenAsFlag = (k: number) => isSingleBit(flags[k]) && !DECIMAL_LITERAL.test(constants[k].spelling);
  const firstValue = order.findIndex((k) => !writtenAsFlag(k));
  if (firstValue < 0) return new Set();
  const highest = flags[order[firstValue]];
  return new Set(order.slice(0, firstValue).filter((k) => flags[k] > 2n * highest));
}

/**
 * Each member's kind, by what it sets (its value, or 1 << it for bit numbers). In a family of
 * values every member is a `value`, but for flags that go with any of them (modifierBits).
 */
export function classifyFlags(constants: Constant[], encoding: FlagEncoding = 'flags'): { constant: Constant; kind: FlagKind; flag: bigint }[] {
  const flags = constants.map((c) => (encoding === 'bit-numbers' ? 1n << (c.value as bigint) : (c.value as bigint)));
  if (encoding === 'values') {
    const modifiers = modifierBits(constants, flags);
    return constants.map((constant, k) => ({ constant, kind: modifiers.has(k) ? 'bit' : 'value', flag: flags[k] }));
  }
  const singleBits = flags.filter(isSingleBit);
  const union = singleBits.reduce((a, b) => a | b, 0n);
  return constants.map((constant, k) => {
    const flag = flags[k];
    if (isSingleBit(flag)) return { constant, kind: 'bit', flag };
    if (flag > 0n && (flag & union) === flag && singleBits.length > 1) return { constant, kind: 'mask', flag };
    return { constant, kind: 'value', flag };
  });
}

/**
 * A field that holds a type holds one value at a time, however its run is spelled or its
 * comment names the members: soundcard.h's `synth_subtype` (`FM_TYPE_OPL3 0x01`,
 * `SAMPLE_TYPE_WAVEFRONT 0x11`, read as flags a mask), virtio_crypto's `op_type`,
 * `btrfs_dir_item.type` under "flags definitions".
 */
export function holdsType(field: string): boolean {
  return /type$/i.test(field.slice(field.lastIndexOf('.') + 1));
}

/**
 * How a run the convention binds encodes its field: values for a field that holds a type
 * (holdsType), else what its heading said (`stated`, bind-commented-families.ts), else its
 * spelling. Enumerations count in decimal (`VIRTIO_NET_HASH_REPORT_UDPv4 3`,
 * `VIRTIO_NET_HDR_GSO_UDP 3`), so a member that is more than one bit written as a decimal
 * literal makes the run values, one at a time: read as flags, 3 would be IPv4 and TCPv4. Masks of flags are written in hex or as unions (`VHOST_ACCESS_RW
 * 0x3`, `SIZE_MASK (0xf)`) and keep the run flags. Codes one macro composes are values too
 * (codesOfOneMacro). Bit numbers look like values and need an override.
 */
export function conventionEncoding(run: Constant[], field?: string, stated?: FlagEncoding): FlagEncoding {
  if (field !== undefined && holdsType(field)) return 'values';
  if (stated) return stated;
  const notBit = (c: Constant) => (c.value as bigint) > 0n && !isSingleBit(c.value as bigint);
  const counts = run.some((c) => notBit(c) && DECIMAL_LITERAL.test(c.spelling));
  return counts || codesOfOneMacro(run, notBit) ? 'values' : 'flags';
}

/**
 * Every member made by one function-like macro that is not a bit macro, and one of them more than
 * a bit: codes composed of parts (`VIRTIO_CRYPTO_OPCODE(VIRTIO_CRYPTO_SERVICE_HASH, 0x02)`),
 * values one at a time. `_BITUL(n)` and its kin make flags.
 */
function codesOfOneMacro(run: Constant[], notBit: (c: Constant) => boolean): boolean {
  const macro = (c: Constant) => /^\(?\s*([A-Za-z_]\w*)\s*\(/.exec(c.spelling)?.[1];
  const first = macro(run[0]);
  return run.length > 1 && first !== undefined && !/BIT/i.test(first) && run.every((c) => macro(c) === first) && run.some(notBit);
}

/** A family's values must fit its field: an unsigned reading of an integer field of that size. */
export function fitsField(s: Session, type: CType | undefined, run: Constant[]): boolean {
  const t = type && resolve(type);
  if (!t || (t.kind !== 'int' && t.kind !== 'enum')) return false;
  const bits = BigInt(s.model.declarations.layouts.sizeOf(t) * 8);
  return run.every((c) => (c.value as bigint) >= 0n && (c.value as bigint) < 1n << bits);
}

/**
 * A field kept zero for later (`im6_mbz`, must be zero; `reserved`, `padding`) takes no values:
 * mroute6.h's MRT6MSG_* above `im6_mbz` are `im6_msgtype`'s, and no run is bound rather than a wrong one.
 */
export const RESERVED_FIELD = /(^|[._])(mbz|pad|padding|reserved|rsvd|resv)\d*$/;

/** The lower-case words of a name (`VIRTIO_NET_HDR_GSO_` -> virtio net hdr gso). */
function words(name: string): string[] {
  return name.toLowerCase().split('_').filter(Boolean);
}

/** The prefix a run's names share; a lone name's, up to its last `_` (`VIRTIO_GPU_BLOB_MEM_GUEST`: `VIRTIO_GPU_BLOB_MEM_`). */
export function runPrefix(run: Constant[]): string {
  const names = run.map((c) => c.name);
  return commonPrefix(names.length > 1 ? names : [names[0], `${names[0]}_`]);
}

/**
 * How strongly a run's names point at a field: 2 when a word of the names, past those of the
 * record's own name, is a word of the field's (GSO, gso_type), 1 when one begins a word of the
 * field's (CAP, capability), else 0.
 */
function affinity(run: Constant[], record: string, field: string): number {
  const own = new Set(words(record));
  const named = words(runPrefix(run) || run[0].name).filter((w) => !own.has(w));
  const fieldWords = words(field.slice(field.lastIndexOf('.') + 1));
  let best = 0;
  for (const w of named) {
    if (fieldWords.includes(w)) return 2;
    if (w.length >= 3 && fieldWords.some((f) => f.startsWith(w))) best = 1;
  }
  return best;
}

/** The constants strictly between two lines, from a list sorted by line (binary search, then a slice). */
function between(sorted: Constant[], from: number, to: number): Constant[] {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid].loc.line <= from) lo = mid + 1;
    else hi = mid;
  }
  let end = lo;
  while (end < sorted.length && sorted[end].loc.line < to) end++;
  return sorted.slice(lo, end);
}

/** What a file's lines hold, for telling a size from a value and a comment from a gap. */
export interface FileLines {
  /** Identifiers the code uses, by line, outside directives and comments. */
  used: Map<number, string[]>;
  /** Lines with any token (code or directive). */
  tokens: Set<number>;
  /** Lines a comment covers. */
  comments: Set<number>;
  /** For each line a directive covers, the line of its `#` (a #define's continuation lines point at its first). */
  directives: Map<number, number>;
  /** The last line with a token or a comment. */
  last: number;
}

/** A session's FileLines by file: both flag-family passes read the same files' lines. */
const linesRead = new WeakMap<Session, Map<Loc['file'], FileLines | undefined>>();

export function readLines(s: Session, file: Loc['file']): FileLines | undefined {
  const read = linesRead.get(s) ?? new Map<Loc['file'], FileLines | undefined>();
  linesRead.set(s, read);
  if (!read.has(file)) read.set(file, scanLines(s, file));
  return read.get(file);
}

function scanLines(s: Session, file: Loc['file']): FileLines | undefined {
  const lexed = s.cache.get(file.path, file.displayPath, s.diags);
  if (!lexed) return undefined;
  const out: FileLines = { used: new Map(), tokens: new Set(), comments: new Set(), directives: new Map(), last: 0 };
  let directive = false;
  let directiveLine = 0;
  for (const t of lexed.tokens) {
    if (t.bol) [directive, directiveLine] = [t.text === '#', t.line];
    out.tokens.add(t.line);
    if (directive) out.directives.set(t.line, directiveLine);
    if (directive || t.kind !== 'ident') continue;
    const list = out.used.get(t.line) ?? [];
    list.push(t.text);
    out.used.set(t.line, list);
  }
  for (const c of lexed.comments) for (let l = c.line; l <= c.endLine; l++) out.comments.add(l);
  out.last = Math.max(lexed.tokens.at(-1)?.line ?? 0, lexed.comments.at(-1)?.endLine ?? 0);
  return out;
}

/** The names a record's own declarations use: array bounds such as kvm_run's `padding[SYNC_REGS_SIZE_BYTES]`. */
function namesUsedIn(lines: FileLines | undefined, rec: RecordDecl): Set<string> {
  const out = new Set<string>();
  for (let l = rec.at.line; l <= rec.endAt.line; l++) for (const n of lines?.used.get(l) ?? []) out.add(n);
  return out;
}

/** Only comment lines stand strictly between two lines (no blank line, no code). */
function onlyCommentsBetween(lines: FileLines | undefined, from: number, to: number): boolean {
  for (let l = from + 1; l < to; l++) if (!lines || lines.tokens.has(l) || !lines.comments.has(l)) return false;
  return true;
}

/** A blank line (no token, no comment) stands strictly between two lines; a #define's continuation lines are not blank. */
function blankLineBetween(lines: FileLines | undefined, from: number, to: number): boolean {
  for (let l = from + 1; l < to; l++) if (lines && !lines.tokens.has(l) && !lines.comments.has(l)) return true;
  return false;
}

export function bindFlagFamilies(s: Session): void {
  // What a comment named (bind-commented-families.ts) stays where the comment put it.
  const taken = new Set(s.model.flagFamilies.flatMap((f) => f.members.map((m) => m.constant.name)));
  const byFile = new Map<Loc['file'], Constant[]>();
  for (const c of s.model.constants) {
    if (c.kind !== 'integer' || taken.has(c.name)) continue;
    const list = byFile.get(c.loc.file) ?? [];
    list.push(c);
    byFile.set(c.loc.file, list);
  }
  for (const list of byFile.values()) list.sort((a, b) => a.loc.line - b.loc.line);
  for (const rec of s.model.records) {
    const constants = byFile.get(rec.loc.file);
    if (!constants) continue;
    const lines = readLines(s, rec.loc.file);
    // A constant the record's declarations use is a size (FD_AUTODETECT_SIZE, an array bound), not a value of a field.
    const sizes = namesUsedIn(lines, rec.decl);
    const fields = fieldLines(rec.decl).sort((a, b) => a.line - b.line);
    // A field takes one run: virtio_crypto_rsa_session_para's hash run, a blank line below
    // padding_algo (which has its own run above it), is hash_algo's.
    const bound = new Set(s.model.flagFamilies.filter((f) => f.record === rec.name).map((f) => f.field));
    for (let k = -1; k < fields.length; k++) {
      const from = k < 0 ? rec.decl.at.line : fields[k].line;
      const to = k + 1 < fields.length ? fields[k + 1].line : rec.decl.endAt.line;
      const run = between(constants, from, to).filter((c) => !sizes.has(c.name));
      if (run.length === 0) continue;
      let groups = runGroups(run, lines);
      // The fields written after this gap, up to the next run: where a group's names may point.
      const followers: FieldLine[] = [];
      for (let j = k + 1; groups.length > 1 && j < fields.length; j++) {
        followers.push(fields[j]);
        if (j + 1 < fields.length && between(constants, fields[j].line, fields[j + 1].line).length > 0) break;
      }
      // Split only where every run but the last names a field of its own below; else one run, as written.
      if (groups.slice(0, -1).some((g) => namedFollower(rec.name, g, fields[k], followers, bound) === undefined)) groups = [run];
      for (const [g, group] of groups.entries()) {
        // Where a run goes is told by its bit patterns (asFlags); how it encodes the field, by its spelling.
        const asFlags = classifyFlags(group);
        const field = placeRun(s, rec.name, group, asFlags, fields[k], g === groups.length - 1 ? fields[k + 1] : undefined, groups.length > 1 ? followers : [], bound, lines);
        if (!field) continue;
        bound.add(field.path);
        const encoding = conventionEncoding(group, field.path);
        s.model.flagFamilies.push({
          name: familyName(group.map((c) => c.name), rec.name),
          record: rec.name,
          field: field.path,
          members: encoding === 'flags' ? asFlags : classifyFlags(group, encoding),
          encoding,
          source: 'convention',
        });
      }
    }
  }
}

/**
 * A gap's #defines as families: one run, unless blank lines part runs of other prefixes
 * (virtio_gpu_resource_create_blob: BLOB_MEM_*, a blank line, BLOB_FLAG_*, then blob_mem and
 * blob_flags). A blank line inside one prefix's run (a group of flags set apart) keeps it one.
 */
function runGroups(run: Constant[], lines: FileLines | undefined): Constant[][] {
  const groups: Constant[][] = [[run[0]]];
  for (let k = 1; k < run.length; k++) {
    const parted = blankLineBetween(lines, run[k - 1].loc.line, run[k].loc.line);
    const current = groups[groups.length - 1];
    if (parted && runPrefix([...current, run[k]]).length < Math.min(runPrefix(current).length, runPrefix([run[k]]).length)) groups.push([run[k]]);
    else current.push(run[k]);
  }
  return groups;
}

/** The free field among `followers` the run's names point to most, and more than to `above`; undefined when none. */
function namedFollower(record: string, run: Constant[], above: FieldLine | undefined, followers: FieldLine[], bound: Set<string>): FieldLine | undefined {
  let best = above ? affinity(run, record, above.path) : 0;
  let field: FieldLine | undefined;
  for (const f of followers) {
    const a = bound.has(f.path) ? 0 : affinity(run, record, f.path);
    if (a > best) [field, best] = [f, a];
  }
  return field;
}

/**
 * The field a run of #defines between `above` and `below` belongs to, or undefined. Above the
 * first field: that field's. Between two: the one above's, unless the names point below; bits
 * right after a field called flags stay its own, as in vfio.h (VFIO_GFX_PLANE_TYPE_* after
 * `flags`, above `drm_plane_type`). The names count only for a run written right above the
 * field: its last #define on the line before, or only comment lines between (virtio_crypto's
 * OP_ENCRYPT, DECRYPT, then `/* encrypt or decrypt *\/`, then `op`); a blank line parts them.
 * `below` is undefined for a run that another run follows in the same gap; such a run, one of
 * several, may go to a field further down its names point to (`followers`). A field takes one run.
 */
function placeRun(s: Session, record: string, run: Constant[], asFlags: ReturnType<typeof classifyFlags>, above: FieldLine | undefined, below: FieldLine | undefined, followers: FieldLine[], bound: Set<string>, lines: FileLines | undefined): FieldLine | undefined {
  const aboveAffinity = above ? affinity(run, record, above.path) : 0;
  let field = namedFollower(record, run, above, followers, bound);
  if (!field) {
    const bitsOfFlags = above && /(^|\.)flags$/.test(above.path) && asFlags.every((m) => m.kind !== 'value');
    const rightAbove = below !== undefined && onlyCommentsBetween(lines, run[run.length - 1].loc.line, below.line);
    const pointsBelow = rightAbove && !bitsOfFlags && affinity(run, record, below.path) > aboveAffinity;
    field = !above || pointsBelow ? below : above;
    if (field && bound.has(field.path)) field = field === above && rightAbove && !bound.has(below.path) ? below : undefined;
  }
  if (!field?.type || RESERVED_FIELD.test(field.path) || !fitsField(s, field.type, run)) return undefined;
  return field;
}
