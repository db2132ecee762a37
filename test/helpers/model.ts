// Builds models from header text written to a temporary directory.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { scratchDir } from '../../generator/scratch.js';
import { DiagnosticError, Diagnostic } from '../../generator/diagnostics.js';
import { AbiName } from '../../generator/model/abi.js';
import { Model } from '../../generator/model/model.js';
import { buildModel, ModelOptions } from '../../generator/pipeline.js';

/** Writes files ({'a.h': text, 'inc/b.h': text}) into a fresh directory; returns it. */
export function writeTree(files: Record<string, string>): string {
  const dir = scratchDir('test');
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

export function modelOf(text: string, abi: AbiName = 'x86_64', extra: Partial<ModelOptions> = {}): Model {
  const dir = writeTree({ 'test.h': text });
  return buildModel([join(dir, 'test.h')], { abi, includeDirs: [dir], ...extra });
}

/** The diagnostics a header fails with; fails the test if it does not fail. */
export function errorsOf(files: Record<string, string>, main = 'test.h'): Diagnostic[] {
  const dir = writeTree(files);
  try {
    buildModel([join(dir, main)], { abi: 'x86_64', includeDirs: [dir] });
  } catch (e) {
    if (e instanceof DiagnosticError) return e.diagnostics;
    throw e;
  }
  throw new Error('expected the header to fail');
}

export function constant(m: Model, name: string) {
  const c = m.constants.find((x) => x.name === name);
  if (!c) throw new Error(`no constant ${name}`);
  return c;
}

export function record(m: Model, name: string) {
  const r = m.records.find((x) => x.name === name);
  if (!r) throw new Error(`no record ${name}`);
  return r;
}

export function field(m: Model, rec: string, name: string) {
  const f = record(m, rec).layout.fields.find((x) => x.member.name === name);
  if (!f) throw new Error(`no field ${rec}.${name}`);
  return f;
}
