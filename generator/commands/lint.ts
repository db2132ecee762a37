// `uapigen lint <header>... [--baseline F] [--update-baseline]`: the UAPI rules as findings.
// Findings the headers already ship are recorded per header in the baseline
// (uapi/lint-baseline.json) and do not fail; a new one does (exit 1).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { insidePackage, loadManifest, overridesFor, PACKAGE_ROOT } from '../manifest.js';
import { buildModel } from '../pipeline.js';
import { lintModels, LINT_RULES } from '../lint/rules.js';
import { UsageError } from './usage.js';
import { WarningPrinter } from './warnings.js';

export const DEFAULT_BASELINE = join(PACKAGE_ROOT, 'uapi', 'lint-baseline.json');

type Baseline = { headers: Record<string, string[]> };

function readBaseline(path: string): Baseline {
  if (!existsSync(path)) return { headers: {} };
  try {
    const b = JSON.parse(readFileSync(path, 'utf8')) as Baseline;
    if (typeof b.headers !== 'object' || b.headers === null) throw new Error('expected a "headers" map');
    return b;
  } catch (e) {
    throw new UsageError(`${path}: not a lint baseline: ${(e as Error).message}`);
  }
}

export function lintCommand(args: string[]): number {
  let parsed;
  try {
    parsed = parseArgs({ args, allowPositionals: true, options: { include: { type: 'string', short: 'I', multiple: true }, manifest: { type: 'string' }, baseline: { type: 'string' }, 'update-baseline': { type: 'boolean' } } });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const headers = parsed.positionals;
  if (headers.length === 0) throw new UsageError('name at least one header');
  const includeDirs = (parsed.values.include as string[] | undefined) ?? [];
  // The default baseline is uapigen's own, inside its package: a project of its own that wrote
  // there would change an installed dependency, and lose it at the next install.
  if (parsed.values['update-baseline'] && parsed.values.baseline === undefined && !insidePackage(process.cwd())) {
    throw new UsageError(`--update-baseline needs --baseline FILE here: the default, ${DEFAULT_BASELINE}, is uapigen's own`);
  }
  const manifest = parsed.values.manifest === undefined ? undefined : loadManifest(parsed.values.manifest);
  const baselinePath = parsed.values.baseline ?? DEFAULT_BASELINE;
  const baseline = readBaseline(baselinePath);
  let fresh = 0;
  const lines: string[] = [];
  const warnings = new WarningPrinter();
  for (const h of headers) {
    const opts = { includeDirs, overrides: overridesFor([h], manifest) };
    const models = { x86_64: buildModel([h], { abi: 'x86_64', ...opts }), i386: buildModel([h], { abi: 'i386', ...opts }) };
    warnings.print(models.x86_64.diagnostics);
    warnings.print(models.i386.diagnostics);
    const findings = lintModels(models);
    const keys = findings.map((f) => `${f.code} ${f.subject}`);
    if (parsed.values['update-baseline']) {
      baseline.headers[h] = [...new Set(keys)].sort();
      lines.push(`${h}: ${keys.length} finding(s) recorded in the baseline`);
      continue;
    }
    const known = new Set(baseline.headers[h] ?? []);
    let baselined = 0;
    for (const [k, f] of findings.entries()) {
      if (known.has(keys[k])) {
        baselined++;
        continue;
      }
      fresh++;
      lines.push(`${f.file}:${f.line}: ${f.code} ${f.subject}: ${f.message}`);
    }
    const gone = [...known].filter((k) => !keys.includes(k));
    lines.push(`${h}: ${findings.length - baselined} new, ${baselined} baselined${gone.length ? `, ${gone.length} baselined finding(s) no longer found (run --update-baseline)` : ''}`);
  }
  if (parsed.values['update-baseline']) {
    writeFileSync(baselinePath, JSON.stringify({ $comment: 'Lint findings the headers already ship; only findings not listed here fail. Rewritten by: uapigen lint <headers> --update-baseline', rules: LINT_RULES, headers: Object.fromEntries(Object.entries(baseline.headers).sort()) }, null, 2) + '\n');
    lines.push(`wrote ${baselinePath}`);
  }
  process.stdout.write(lines.join('\n') + '\n');
  return fresh > 0 ? 1 : 0;
}
