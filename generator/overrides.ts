// The project's declarative overrides (uapi/overrides.json), keyed by header name: only the
// entries for the headers being read apply. Validated on load; a malformed file is an error
// naming the file and the field.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DiagnosticError } from './diagnostics.js';
import { SourceFile } from './source.js';
import type { Overrides } from './passes/apply-overrides.js';

/** The package root: two levels above dist/generator/. */
export const PACKAGE_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const OVERRIDES_PATH = join(PACKAGE_ROOT, 'uapi', 'overrides.json');

export function loadOverrides(headers: string[], path = OVERRIDES_PATH): Overrides | undefined {
  if (!existsSync(path)) return undefined;
  const text = readFileSync(path, 'utf8');
  const file = new SourceFile(path, 'uapi/overrides.json', text);
  const fail = (message: string): never => {
    throw new DiagnosticError([{ code: 'UG304', severity: 'error', message, loc: { file, line: 1, col: 1 } }]);
  };
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    fail(`not valid JSON: ${(e as Error).message}`);
  }
  const byHeader = (doc as { headers?: Record<string, Overrides> }).headers;
  if (typeof byHeader !== 'object' || byHeader === null) return fail('expected an object with a "headers" map');
  const merged: Overrides = { flagFamilies: [], capabilities: [] };
  for (const h of headers) {
    const o = byHeader[h];
    if (!o) continue;
    for (const [k, f] of (o.flagFamilies ?? []).entries()) {
      if (typeof f.record !== 'string' || typeof f.field !== 'string' || (f.prefix === undefined) === (f.members === undefined)) {
        fail(`headers["${h}"].flagFamilies[${k}]: needs "record", "field" and exactly one of "prefix" or "members"`);
      }
      merged.flagFamilies!.push(f);
    }
    for (const [k, c] of (o.capabilities ?? []).entries()) {
      if (typeof c.info !== 'string' || typeof c.id !== 'string' || typeof c.record !== 'string') {
        fail(`headers["${h}"].capabilities[${k}]: needs "info", "id" and "record" strings`);
      }
      merged.capabilities!.push(c);
    }
  }
  return merged;
}
