// Command-line parsing shared by the subcommands.
import { parseArgs } from 'node:util';
import { AbiName, ABI_NAMES, parseAbi } from '../model/abi.js';
import { loadManifest, overridesFor } from '../manifest.js';
import type { Overrides } from '../passes/apply-overrides.js';

export class UsageError extends Error {}

export interface CommonArgs {
  headers: string[];
  abis: AbiName[];
  includeDirs: string[];
  /** The overrides the manifest (--manifest F, else uapigen's own) gives the units that read these headers. */
  overrides: Overrides | undefined;
  values: Record<string, string | boolean | string[] | undefined>;
}

/** Parses `<header>... [--abi A] [-I dir]... [--manifest F]` plus a command's own flags. */
export function parseCommon(args: string[], extra: Record<string, { type: 'string' | 'boolean'; multiple?: boolean }>, allowAll: boolean): CommonArgs {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: { abi: { type: 'string' }, include: { type: 'string', short: 'I', multiple: true }, manifest: { type: 'string' }, ...extra },
    });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const abiArg = (parsed.values.abi as string | undefined) ?? (allowAll ? 'all' : 'x86_64');
  let abis: AbiName[];
  if (abiArg === 'all' && allowAll) abis = [...ABI_NAMES];
  else {
    const a = parseAbi(abiArg);
    if (!a) throw new UsageError(`--abi must be ${allowAll ? 'all, ' : ''}${ABI_NAMES.join(' or ')}, not '${abiArg}'`);
    abis = [a];
  }
  if (parsed.positionals.length === 0) throw new UsageError('name at least one header (linux/vfio.h, or a path)');
  const manifest = parsed.values.manifest as string | undefined;
  return {
    headers: parsed.positionals,
    abis,
    includeDirs: (parsed.values.include as string[] | undefined) ?? [],
    overrides: overridesFor(parsed.positionals, manifest === undefined ? undefined : loadManifest(manifest)),
    values: parsed.values as CommonArgs['values'],
  };
}
