// The arguments of the project's scripts (bench, sweep, the fuzzers). A word a script does not
// understand is refused, with its usage and exit 2, never skipped: `npm run sweep x86-64` once
// swept both ABIs, and a fuzz run given `--cases x` ran no case at all and passed.
import { parseArgs } from 'node:util';

/** What the script is called and how it is run, for its messages. */
export interface ScriptUsage {
  name: string;
  usage: string;
}

/** Why the arguments were refused; scriptArgs turns it into a message and exit 2. */
export class ScriptArgsError extends Error {}

function askedForHelp(args: readonly string[]): boolean {
  return args.includes('--help') || args.includes('-h');
}

/**
 * Positional words, each one of `choices` (none given: all of them, in their order). Undefined
 * when the script was asked for its usage.
 */
export function chosenParts<T extends string>(choices: readonly T[], args: readonly string[]): T[] | undefined {
  if (askedForHelp(args)) return undefined;
  const unknown = args.filter((a) => !(choices as readonly string[]).includes(a));
  if (unknown.length > 0) throw new ScriptArgsError(`unknown ${unknown.map((a) => `'${a}'`).join(', ')}: the choices are ${choices.join(', ')}`);
  return args.length === 0 ? [...choices] : choices.filter((c) => args.includes(c));
}

export interface CasesAndSeed {
  cases: number;
  seed: number;
}

function wholeNumber(option: string, text: string, least: number): number {
  const n = Number(text);
  if (!/^-?\d+$/.test(text.trim()) || !Number.isSafeInteger(n) || n < least) throw new ScriptArgsError(`--${option} ${text}: a whole number, ${least} or more`);
  return n;
}

/** `--cases N --seed S`: N a whole number 1 or more (a run of no case proves nothing), S one 0 or more. Undefined when asked for the usage. */
export function casesAndSeed(defaults: CasesAndSeed, args: readonly string[]): CasesAndSeed | undefined {
  if (askedForHelp(args)) return undefined;
  let values: { cases?: string; seed?: string };
  try {
    ({ values } = parseArgs({ args: [...args], options: { cases: { type: 'string' }, seed: { type: 'string' } }, strict: true, allowPositionals: false }));
  } catch (e) {
    // parseArgs names the option in its message; its stack is of no use to the user.
    throw new ScriptArgsError((e as Error).message);
  }
  return {
    cases: values.cases === undefined ? defaults.cases : wholeNumber('cases', values.cases, 1),
    seed: values.seed === undefined ? defaults.seed : wholeNumber('seed', values.seed, 0),
  };
}

/**
 * Runs `read` over the script's arguments: its answer, or, when the script was asked for its
 * usage, the usage and exit 0, or when they were refused, why and the usage, and exit 2.
 */
export function scriptArgs<R>(script: ScriptUsage, read: (args: readonly string[]) => R | undefined, args: readonly string[] = process.argv.slice(2)): R {
  try {
    const r = read(args);
    if (r !== undefined) return r;
    console.log(`usage: ${script.usage}`);
    process.exit(0);
  } catch (e) {
    if (!(e instanceof ScriptArgsError)) throw e;
    console.error(`${script.name}: ${e.message}\nusage: ${script.usage}`);
    process.exit(2);
  }
}
