// `uapigen diff`: pairs up headers (two files, two trees matched by relative path, or a base
// header and a patch), models each side per ABI, and compares.
import { existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { Diagnostic, DiagnosticError } from '../diagnostics.js';
import { AbiName } from '../model/abi.js';
import { Model } from '../model/model.js';
import { buildModel } from '../pipeline.js';
import { FileCache } from '../preprocess/preprocessor.js';
import { isPathArgument } from '../passes/read-headers.js';
import { DEFAULT_MANIFEST, Manifest, mergeOverrides, unitsReading } from '../manifest.js';
import { scratchDir } from '../scratch.js';
import { SourceFile } from '../source.js';
import { compareAcrossAbis, compareModels } from './compare.js';
import { Finding, mergeFindings } from './findings.js';
import { recordPictures, RecordPicture } from './layout-picture.js';
import { applyPatch, parsePatch, patchFor } from './patch.js';

export interface Side {
  /** What the reader is told this side is. */
  label: string;
  /** Header arguments for the model (include names or absolute paths). */
  header: string;
  includeDirs: string[];
  displayRoot?: string;
}

export interface Pair {
  name: string;
  old?: Side;
  new?: Side;
}

export interface DiffResult {
  oldLabel: string;
  newLabel: string;
  abis: AbiName[];
  findings: Finding[];
  pictures: RecordPicture[];
  notes: string[];
  /** The warnings of the models read, old and new (not part of the report). */
  warnings: Diagnostic[];
}

function headersUnder(dir: string): string[] {
  const out: string[] = [];
  // A directory reached again through a symbolic link (a link to a parent loops) is walked once.
  const walked = new Set<string>();
  const walk = (d: string) => {
    const real = realpathSync(d);
    if (walked.has(real)) return;
    walked.add(real);
    for (const e of readdirSync(d).sort()) {
      const p = join(d, e);
      let isDir: boolean;
      try {
        isDir = statSync(p).isDirectory();
      } catch (err) {
        throw new DiagnosticError([{ code: 'UG901', severity: 'error', message: `${p}: cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}): a dangling symbolic link?` }]);
      }
      if (isDir) walk(p);
      else if (e.endsWith('.h')) out.push(relative(dir, p));
    }
  };
  walk(dir);
  return out;
}

export function isDirectory(path: string): boolean {
  return existsSync(path) && statSync(path).isDirectory();
}

/** OLD and NEW as given: two headers, or two directories matched by relative path. */
export function pairsOf(oldArg: string, newArg: string, includeDirs: string[]): Pair[] {
  if (isDirectory(oldArg) && isDirectory(newArg)) {
    const o = resolve(oldArg);
    const n = resolve(newArg);
    const names = [...new Set([...headersUnder(o), ...headersUnder(n)])].sort();
    // Each tree's own headers come before the system's, so a tree's includes resolve inside it.
    const side = (root: string, rel: string, label: string): Side | undefined =>
      existsSync(join(root, rel)) ? { label, header: join(root, rel), includeDirs: [root, ...includeDirs], displayRoot: root } : undefined;
    return names.map((rel) => ({ name: rel, old: side(o, rel, oldArg), new: side(n, rel, newArg) }));
  }
  const one = (arg: string): Side => (isPathArgument(arg) ? { label: arg, header: resolve(arg), includeDirs, displayRoot: dirname(resolve(arg)) } : { label: arg, header: arg, includeDirs });
  return [{ name: newArg, old: one(oldArg), new: one(newArg) }];
}

/** BASE with PATCH applied, written to a temporary tree so its includes still resolve. */
export function patchedPair(baseArg: string, patchPath: string, includeDirs: string[], notes: string[]): Pair {
  const patch = new SourceFile(resolve(patchPath), patchPath, readFileSync(patchPath, 'utf8'));
  const basePath = isPathArgument(baseArg) ? resolve(baseArg) : ['/usr/include/x86_64-linux-gnu', '/usr/include', ...includeDirs].map((d) => join(d, baseArg)).find(existsSync);
  if (!basePath) throw new Error(`cannot find base header ${baseArg}`);
  const base = new SourceFile(basePath, baseArg, readFileSync(basePath, 'utf8'));
  const fp = patchFor(parsePatch(patch), isPathArgument(baseArg) ? baseArg.split('/').pop()! : baseArg, patch);
  const applied = applyPatch(base, fp, patch);
  for (const p of applied.placements) {
    notes.push(`hunk ${p.hunk.header} (patch line ${p.hunk.patchLine}) applied at line ${p.at}${p.fuzz ? ` ignoring ${p.fuzz} context line${p.fuzz === 1 ? '' : 's'} that differ` : ''}`);
  }
  const root = scratchDir('patched');
  const rel = isPathArgument(baseArg) ? baseArg.split('/').pop()! : baseArg;
  mkdirSync(dirname(join(root, rel)), { recursive: true });
  writeFileSync(join(root, rel), applied.text);
  const baseSide: Side = isPathArgument(baseArg) ? { label: baseArg, header: basePath, includeDirs, displayRoot: dirname(basePath) } : { label: baseArg, header: baseArg, includeDirs };
  return {
    name: rel,
    old: baseSide,
    new: { label: `${baseArg} + ${patchPath}`, header: join(root, rel), includeDirs: [dirname(basePath), ...includeDirs], displayRoot: root },
  };
}

let emptyHeader: string | undefined;

/** The side a header is missing from is read as an empty header, written once, when first needed. */
function emptyHeaderPath(): string {
  if (!emptyHeader) {
    const dir = scratchDir('empty');
    writeFileSync(join(dir, 'empty.h'), '');
    emptyHeader = join(dir, 'empty.h');
  }
  return emptyHeader;
}

/** Every file the old model read has the same bytes where the new side would read it. */
function sameInputs(oldModel: Model, pair: Pair): boolean {
  if (!pair.old || !pair.new) return false;
  const oldRoot = pair.old.displayRoot;
  const newRoot = pair.new.displayRoot;
  if (pair.old.header === pair.new.header && oldRoot === newRoot && pair.old.includeDirs.join() === pair.new.includeDirs.join()) return true;
  // The old side's main header as the model resolved it; the new side's must be a path to compare.
  const oldMain = oldModel.headers[0]?.path;
  if (!isPathArgument(pair.new.header)) return false;
  const newMain = resolve(pair.new.header);
  for (const f of oldModel.files) {
    let twin = f.path;
    if (f.path === oldMain) twin = newMain;
    else if (oldRoot && newRoot && f.path.startsWith(oldRoot + '/')) twin = join(newRoot, relative(oldRoot, f.path));
    else if (!f.path.startsWith('/')) return false; // <built-in> and such: compare properly
    if (twin === f.path) continue;
    if (!existsSync(twin) || readFileSync(twin, 'utf8') !== f.text) return false;
  }
  return true;
}

/**
 * `manifest`: the units whose overrides apply to a pair (uapigen's own by default in the CLI),
 * matched by the pair's include name or paths, so that a family reads as `generate` binds it.
 */
export function diffPairs(pairs: Pair[], abis: AbiName[], oldLabel: string, newLabel: string, notes: string[] = [], cache = new FileCache(), manifest?: Manifest): DiffResult {
  const lists: Finding[][] = [];
  const pictures: RecordPicture[] = [];
  const warnings: Diagnostic[] = [];
  const overridden = new Set<string>();
  for (const pair of pairs) {
    const models: Partial<Record<AbiName, { old: Model; new: Model }>> = {};
    const pairLists: Finding[][] = [];
    const headerNames = [pair.name, ...[pair.old, pair.new].flatMap((s) => (s ? [s.header] : []))];
    const units = manifest ? unitsReading(headerNames, manifest) : [];
    for (const { unit } of units) if (unit.overrides.flagFamilies?.length || unit.overrides.capabilities?.length) overridden.add(unit.name);
    // Either side may lack what an override names (a record the change adds): skipped there.
    const overrides = units.length ? { ...mergeOverrides(units), partial: true } : undefined;
    for (const abi of abis) {
      const model = (s: Side | undefined) => {
        const m = buildModel([s?.header ?? emptyHeaderPath()], { abi, includeDirs: s?.includeDirs ?? [], displayRoot: s?.displayRoot, cache, overrides });
        warnings.push(...m.diagnostics.filter((d) => d.severity === 'warning'));
        return m;
      };
      const oldModel = model(pair.old);
      // Same bytes in, same model out: when every file the old side read is identical on the
      // new side, the new model is the old one and there is nothing to compare.
      if (sameInputs(oldModel, pair)) {
        models[abi] = { old: oldModel, new: oldModel };
        continue;
      }
      const m = { old: oldModel, new: model(pair.new) };
      models[abi] = m;
      pairLists.push(compareModels(m.old, m.new));
    }
    const { x86_64: a, i386: b } = models;
    if (a && b && (a.old !== a.new || b.old !== b.new)) pairLists.push(compareAcrossAbis(a.old, b.old, a.new, b.new));
    const primary = models[abis[0]]!;
    pictures.push(...recordPictures(primary.old, primary.new, mergeFindings(pairLists)));
    lists.push(...pairLists);
  }
  if (overridden.size) notes.push(`read with the overrides of ${[...overridden].map((u) => `unit ${u}`).join(', ')} in ${manifest!.path === DEFAULT_MANIFEST ? "uapigen's own uapi/manifest.json" : relative(process.cwd(), manifest!.path)}, as generate reads them`);
  return { oldLabel, newLabel, abis, findings: mergeFindings(lists), pictures, notes, warnings };
}
