// The manifest of binding units (uapi/manifest.json), validated against its JSON Schema on
// load. Errors name the file, the line and column, and the field (`units[2].overrides.flagFamilies[0]`).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import { DiagnosticError, Loc } from './diagnostics.js';
import { offsetOf, scanJson } from './json-locate.js';
import { AbiName } from './model/abi.js';
import type { Overrides } from './passes/apply-overrides.js';
import { SourceFile } from './source.js';

/** The package root: two levels above dist/generator/. */
export const PACKAGE_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const DEFAULT_MANIFEST = join(PACKAGE_ROOT, 'uapi', 'manifest.json');

/** Whether `path` is this package's root or under it (this repository; or the package as installed). */
export function insidePackage(path: string): boolean {
  const rel = relative(PACKAGE_ROOT, resolve(path));
  return rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel);
}

export interface Unit {
  name: string;
  /** As written in the manifest. */
  headers: string[];
  /** What the model reads: include names as they are, `./` paths made absolute. */
  headerPaths: string[];
  abis: AbiName[];
  overrides: Overrides & { flagMembers?: { family: string; members: string[] }[] };
}

export interface Manifest {
  path: string;
  /** Where the value at a JSON pointer (`/units/0/headers/1`) is written, for diagnostics. */
  locate(pointer: string): Loc;
  /**
   * The project the manifest belongs to (projectRoot): generated/ goes there by default, and
   * paths in generated banners are relative to it.
   */
  root: string;
  units: Unit[];
}

function fail(path: string, message: string, offset = 0): never {
  failAll(path, [{ message, offset }]);
}

function failAll(path: string, problems: { message: string; offset: number }[]): never {
  const file = new SourceFile(path, path, existsSync(path) ? readFileSync(path, 'utf8') : '');
  throw new DiagnosticError(problems.map(({ message, offset }) => ({ code: 'UG304', severity: 'error', message, loc: { file, ...file.position(offset) } })));
}

function fieldPath(instancePath: string): string {
  return instancePath
    .split('/')
    .filter(Boolean)
    .map((p, k) => (/^\d+$/.test(p) ? `[${p}]` : `${k ? '.' : ''}${p}`))
    .join('') || '(top level)';
}

/**
 * The project a manifest in `dir` belongs to: the nearest directory from `dir` up that holds a
 * package.json (a manifest at a project's top, or in its `uapi/`). Without one, the directory
 * above `dir`, as for this repository's own layout (`uapi/manifest.json`, `generated/`).
 */
function projectRoot(dir: string): string {
  for (let d = dir; ; d = dirname(d)) {
    if (existsSync(join(d, 'package.json'))) return d;
    if (dirname(d) === d) return dirname(dir);
  }
}

export function loadManifest(path = DEFAULT_MANIFEST): Manifest {
  const abs = resolve(path);
  if (!existsSync(abs)) fail(abs, 'manifest not found');
  const text = readFileSync(abs, 'utf8');
  const scan = scanJson(text);
  if (scan.error) fail(abs, `not valid JSON: ${scan.error.message}`, scan.error.offset);
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    fail(abs, `not valid JSON: ${(e as Error).message}`); // what the scan above let through
  }
  const schema = JSON.parse(readFileSync(join(PACKAGE_ROOT, 'uapi', 'manifest.schema.json'), 'utf8'));
  const ajv = new Ajv({ allErrors: true, strict: false });
  const validate = ajv.compile(schema);
  if (!validate(doc)) {
    const seenMessages = new Set<string>();
    const problems = (validate.errors ?? [])
      .map((e) => {
        const extra = e.params && 'additionalProperty' in e.params ? String(e.params.additionalProperty) : undefined;
        // An unknown property is shown at its value; anything else at the value that is wrong.
        const pointer = extra === undefined ? e.instancePath : `${e.instancePath}/${extra}`;
        // An enum's error names the values it takes: "one of the allowed values" alone sends the user to the schema.
        const allowed = e.params && 'allowedValues' in e.params ? `: ${(e.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}` : '';
        return { message: `invalid manifest: ${fieldPath(e.instancePath)}: ${e.message}${allowed}${extra === undefined ? '' : ` ('${extra}')`}`, offset: offsetOf(scan, pointer) };
      })
      .filter((p) => !seenMessages.has(p.message) && seenMessages.add(p.message));
    failAll(abs, problems);
  }
  const dir = dirname(abs);
  const raw = doc as { units: { name: string; headers: string[]; abis?: AbiName[]; overrides?: Unit['overrides'] }[] };
  const seen = new Set<string>();
  const units = raw.units.map((u, k) => {
    if (seen.has(u.name)) fail(abs, `invalid manifest: units[${k}].name: '${u.name}' is used twice`, offsetOf(scan, `/units/${k}/name`));
    seen.add(u.name);
    return {
      name: u.name,
      headers: u.headers,
      headerPaths: u.headers.map((h) => (h.startsWith('./') || h.startsWith('../') ? resolve(dir, h) : h)),
      abis: u.abis ?? ['x86_64', 'i386'],
      overrides: u.overrides ?? {},
    };
  });
  const file = new SourceFile(abs, relative(process.cwd(), abs) || abs, text);
  const locate = (pointer: string): Loc => ({ file, ...file.position(offsetOf(scan, pointer)) });
  return { path: abs, root: projectRoot(dir), units, locate };
}

/**
 * Whether a header argument names a unit's header: the same include name or path, or a path
 * ending in the include name (/tmp/new/linux/vhost_types.h is linux/vhost_types.h, as a tree
 * of headers holds it).
 */
function names(header: string, unitHeader: string): boolean {
  return header === unitHeader || resolve(header) === unitHeader || (!isAbsolute(unitHeader) && isAbsolute(header) && header.endsWith(`/${unitHeader}`));
}

/** The units of `manifest` that read one of these headers, with whether they read others too. */
export function unitsReading(headers: string[], manifest: Manifest): { unit: Unit; partial: boolean }[] {
  return manifest.units
    .filter((u) => u.headerPaths.some((h) => headers.some((x) => names(x, h))))
    .map((unit) => ({ unit, partial: !unit.headerPaths.every((h) => headers.some((x) => names(x, h))) }));
}

/** The overrides of every unit of `manifest` (by default uapigen's own) that reads one of these headers (for `model`, `verify`, `lint`). */
export function overridesFor(headers: string[], manifest: Manifest | undefined = existsSync(DEFAULT_MANIFEST) ? loadManifest() : undefined): Overrides | undefined {
  return manifest && mergeOverrides(unitsReading(headers, manifest));
}

/** The overrides of these units as one set, `partial` when a unit is read only in part. */
export function mergeOverrides(units: { unit: Unit; partial: boolean }[]): Overrides {
  const merged: Overrides = { flagFamilies: [], capabilities: [] };
  for (const { unit: u, partial } of units) {
    // Some of a unit's headers: its overrides may name what only the others hold (the vhost
    // unit's name vhost_types.h's records, and `verify linux/vhost.h` reads only vhost.h).
    if (partial) merged.partial = true;
    merged.flagFamilies!.push(...(u.overrides.flagFamilies ?? []));
    merged.capabilities!.push(...(u.overrides.capabilities ?? []));
  }
  return merged;
}
