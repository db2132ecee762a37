// Applies a unified diff as posted on a mailing list to a base header: quoting (`> `) is
// stripped, whitespace the mail mangled is ignored when matching, hunks may sit at other line
// numbers than they say, a reply may cut a hunk short, and up to three context lines at either
// end may not match (GNU patch's fuzz). A hunk that cannot be placed is an error naming it.
import { DiagnosticError, Loc } from '../diagnostics.js';
import { SourceFile } from '../source.js';

export interface Hunk {
  /** 1-based line of the `@@` header in the patch file. */
  patchLine: number;
  header: string;
  oldStart: number;
  /** Each line: ' ' context, '-' removed, '+' added, with its text. */
  lines: { op: ' ' | '-' | '+'; text: string }[];
}

export interface FilePatch {
  /** The path after `+++ b/`, or after `--- a/` when the new side is /dev/null. */
  path: string;
  hunks: Hunk[];
}

export interface Applied {
  text: string;
  /** Per hunk: where it landed in the base (1-based) and the context lines it had to ignore. */
  placements: { hunk: Hunk; at: number; fuzz: number }[];
}

const norm = (s: string) => s.replace(/\s+/g, ' ').trim();

function fail(patch: SourceFile, line: number, message: string): never {
  throw new DiagnosticError([{ code: 'UG501', severity: 'error', message, loc: { file: patch, line, col: 1 } as Loc }]);
}

/** Reads every file's hunks from the patch text, quoted or not. */
export function parsePatch(patch: SourceFile): FilePatch[] {
  const raw = patch.text.split('\n');
  const quoted = raw.filter((l) => /^>/.test(l)).length > raw.filter((l) => /^(diff |@@ |\+\+\+ |--- )/.test(l)).length;
  const files: FilePatch[] = [];
  let current: FilePatch | undefined;
  let hunk: Hunk | undefined;
  let remainingOld = 0;
  let remainingNew = 0;
  raw.forEach((rawLine, k) => {
    let line = rawLine.replace(/\r$/, '');
    if (quoted) {
      if (!line.startsWith('>')) {
        hunk = undefined; // the reply's own prose: a quoted hunk cut short ends here
        return;
      }
      line = line.replace(/^> ?/, '');
    }
    const fileHeader = /^\+\+\+ (?:b\/)?(\S+)/.exec(line);
    if (/^--- /.test(line) && !hunk) return;
    if (fileHeader) {
      current = { path: fileHeader[1], hunks: [] };
      files.push(current);
      hunk = undefined;
      return;
    }
    const h = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@/.exec(line);
    if (h) {
      if (!current) fail(patch, k + 1, 'hunk before any file header (+++ b/path)');
      hunk = { patchLine: k + 1, header: line.trim(), oldStart: Number(h[1]), lines: [] };
      current.hunks.push(hunk);
      remainingOld = h[2] === undefined ? 1 : Number(h[2]);
      remainingNew = h[4] === undefined ? 1 : Number(h[4]);
      return;
    }
    if (!hunk || (remainingOld <= 0 && remainingNew <= 0)) return;
    if (line.startsWith('\\')) return; // "\ No newline at end of file"
    if (line.startsWith('+')) {
      hunk.lines.push({ op: '+', text: line.slice(1) });
      remainingNew--;
    } else if (line.startsWith('-')) {
      hunk.lines.push({ op: '-', text: line.slice(1) });
      remainingOld--;
    } else {
      // A context line; mail often eats its leading space.
      hunk.lines.push({ op: ' ', text: line.startsWith(' ') ? line.slice(1) : line });
      remainingOld--;
      remainingNew--;
    }
  });
  return files.filter((f) => f.hunks.length > 0);
}

/** Finds `needle` in `hay` (normalized lines), preferring the match nearest `near`. */
function find(hay: string[], needle: string[], near: number): number {
  let best = -1;
  for (let i = 0; i + needle.length <= hay.length; i++) {
    let ok = true;
    for (let j = 0; j < needle.length && ok; j++) ok = hay[i + j] === needle[j];
    if (ok && (best < 0 || Math.abs(i - near) < Math.abs(best - near))) best = i;
  }
  return best;
}

const MAX_FUZZ = 3;

export function applyPatch(base: SourceFile, fp: FilePatch, patch: SourceFile): Applied {
  const lines = base.text.split('\n');
  const placements: Applied['placements'] = [];
  let shift = 0;
  for (const hunk of fp.hunks) {
    const lead = hunk.lines.findIndex((l) => l.op !== ' ');
    const leadCount = lead < 0 ? hunk.lines.length : lead;
    let trailCount = 0;
    for (let k = hunk.lines.length - 1; k >= 0 && hunk.lines[k].op === ' '; k--) trailCount++;
    const hay = lines.map(norm);
    let placed: { at: number; dropLead: number; dropTrail: number } | undefined;
    // Least fuzz first: all context, then fewer lines at the ends.
    search: for (let fuzz = 0; fuzz <= 2 * MAX_FUZZ; fuzz++) {
      for (let dropLead = 0; dropLead <= Math.min(fuzz, MAX_FUZZ, leadCount); dropLead++) {
        const dropTrail = fuzz - dropLead;
        if (dropTrail > Math.min(MAX_FUZZ, trailCount)) continue;
        const body = hunk.lines.slice(dropLead, hunk.lines.length - dropTrail);
        const old = body.filter((l) => l.op !== '+').map((l) => norm(l.text));
        if (old.length === 0 && body.some((l) => l.op === ' ')) continue;
        if (old.length === 0 && hunk.lines.some((l) => l.op === ' ')) continue; // all context fuzzed away
        const at = old.length === 0 ? hunk.oldStart - 1 + shift : find(hay, old, hunk.oldStart - 1 + shift + dropLead);
        if (at >= 0) {
          placed = { at, dropLead, dropTrail };
          break search;
        }
      }
    }
    if (!placed) {
      fail(patch, hunk.patchLine, `hunk ${hunk.header} cannot be placed in ${base.displayPath}: its context is not there (even ignoring ${MAX_FUZZ} lines at either end)`);
    }
    const body = hunk.lines.slice(placed.dropLead, hunk.lines.length - placed.dropTrail);
    const replacement: string[] = [];
    let k = placed.at;
    for (const l of body) {
      if (l.op === ' ') replacement.push(lines[k++]); // keep the base's own spelling of context
      else if (l.op === '-') k++;
      else replacement.push(l.text);
    }
    const removedCount = k - placed.at;
    lines.splice(placed.at, removedCount, ...replacement);
    shift += replacement.length - removedCount;
    placements.push({ hunk, at: placed.at + 1, fuzz: placed.dropLead + placed.dropTrail });
  }
  return { text: lines.join('\n'), placements };
}

/** The file patch that applies to the base: by path suffix, else the only one. */
export function patchFor(files: FilePatch[], baseName: string, patch: SourceFile): FilePatch {
  const base = baseName.split('/').pop()!;
  const match = files.filter((f) => f.path === baseName || f.path.endsWith(`/${baseName}`) || f.path.split('/').pop() === base);
  if (match.length === 1) return match[0];
  if (match.length === 0 && files.length === 1) return files[0];
  if (files.length === 0) fail(patch, 1, 'no hunks found (expected a unified diff, quoted or not)');
  return fail(patch, 1, `the patch touches ${files.map((f) => f.path).join(', ')}: none is ${baseName}`);
}
