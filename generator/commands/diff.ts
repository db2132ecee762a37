// `uapigen diff OLD NEW` or `uapigen diff --base HEADER --patch FILE`: a UAPI review.
// Exit 0 when nothing reaches --fail-on, 1 when something does, 2 when the input is bad.
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { DEFAULT_MANIFEST, loadManifest } from '../manifest.js';
import { AbiName, ABI_NAMES, parseAbi } from '../model/abi.js';
import { diffPairs, isDirectory, pairsOf, patchedPair } from '../diff/run.js';
import { renderReport, REPORT_FORMATS, ReportFormat } from '../diff/report.js';
import { UsageError } from './usage.js';
import { WarningPrinter } from './warnings.js';

const FAIL_ON = ['breaking', 'any', 'never'] as const;

export function diffCommand(args: string[]): number {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: {
        abi: { type: 'string', default: 'all' },
        format: { type: 'string', default: 'text' },
        'fail-on': { type: 'string', default: 'breaking' },
        include: { type: 'string', short: 'I', multiple: true },
        base: { type: 'string' },
        patch: { type: 'string' },
        manifest: { type: 'string' },
      },
    });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const v = parsed.values;
  const abis: AbiName[] = v.abi === 'all' ? [...ABI_NAMES] : [parseAbi(v.abi!) ?? usage(`--abi must be x86_64, i386 or all, not '${v.abi}'`)];
  const format = REPORT_FORMATS.includes(v.format as ReportFormat) ? (v.format as ReportFormat) : usage(`--format must be ${REPORT_FORMATS.join(', ')}`);
  const failOn = (FAIL_ON as readonly string[]).includes(v['fail-on']!) ? (v['fail-on'] as (typeof FAIL_ON)[number]) : usage(`--fail-on must be ${FAIL_ON.join(', ')}`);
  const includeDirs = (v.include as string[] | undefined) ?? [];
  const notes: string[] = [];
  let pairs;
  let labels: [string, string];
  if (v.base !== undefined || v.patch !== undefined) {
    if (!v.base || !v.patch || parsed.positionals.length) usage('--base HEADER --patch FILE go together, without OLD NEW');
    pairs = [patchedPair(v.base!, v.patch!, includeDirs, notes)];
    labels = [v.base!, `${v.base} + ${v.patch}`];
  } else {
    if (parsed.positionals.length !== 2) usage('give OLD and NEW (headers or directories), or --base HEADER --patch FILE');
    const [oldArg, newArg] = parsed.positionals;
    // A tree against one header has no pairing: the header would be looked for as a file and the tree reported missing.
    const oldIsDir = isDirectory(oldArg);
    if (oldIsDir !== isDirectory(newArg)) usage(`${oldIsDir ? oldArg : newArg} is a directory and ${oldIsDir ? newArg : oldArg} is not: give two headers or two directories`);
    pairs = pairsOf(oldArg, newArg, includeDirs);
    labels = [parsed.positionals[0], parsed.positionals[1]];
  }
  // Families read as generate binds them: the overrides of the units that read these headers.
  const manifest = v.manifest !== undefined ? loadManifest(v.manifest) : existsSync(DEFAULT_MANIFEST) ? loadManifest() : undefined;
  const result = diffPairs(pairs, abis, labels[0], labels[1], notes, undefined, manifest);
  new WarningPrinter().print(result.warnings);
  process.stdout.write(renderReport(result, format, format === 'text' && process.stdout.isTTY === true));
  const breaking = result.findings.some((f) => f.severity === 'breaking');
  if (failOn === 'breaking') return breaking ? 1 : 0;
  if (failOn === 'any') return result.findings.length ? 1 : 0;
  return 0;
}

function usage(message: string): never {
  throw new UsageError(message);
}
