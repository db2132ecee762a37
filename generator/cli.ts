#!/usr/bin/env node
// The `uapigen` command. Each subcommand lives in commands/; this file only dispatches and
// turns failures into messages and exit codes: 0 success, 1 findings (verify mismatches),
// 2 bad input (a header that cannot be read, bad usage), 3 an internal error.
import { DiagnosticError, formatDiagnostic } from './diagnostics.js';
import { UsageError } from './commands/usage.js';
import { modelCommand } from './commands/model.js';
import { verifyCommand } from './commands/verify.js';
import { checkCommand, generateCommand } from './commands/generate.js';
import { diffCommand } from './commands/diff.js';
import { lintCommand } from './commands/lint.js';
import { devicesCommand } from './commands/devices.js';

const COMMANDS: Record<string, { run: (args: string[]) => Promise<number> | number; help: string }> = {
  model: { run: modelCommand, help: 'model <header>... [--abi x86_64|i386] [-I dir]... [--manifest F] [--json]   the semantic model of headers' },
  verify: { run: verifyCommand, help: 'verify <header>... [--abi x86_64|i386|all] [-I dir]... [--manifest F]    check the model against gcc' },
  generate: { run: generateCommand, help: 'generate [--manifest F] [--out DIR]                      write the TypeScript bindings' },
  diff: { run: diffCommand, help: 'diff OLD NEW | --base H --patch P [--abi A|all] [--format text|markdown|json|html] [--fail-on breaking|any|never] [--manifest F]' },
  lint: { run: lintCommand, help: 'lint <header>... [-I dir]... [--manifest F] [--baseline F] [--update-baseline]  UAPI rules; new findings fail' },
  devices: { run: devicesCommand, help: 'devices [--sim typed|fixed] [--kernel]                    list the simulated vfio-vhost device, or (--kernel) what is bound to vfio-pci' },
  check: { run: checkCommand, help: 'check [--manifest F] [--out DIR]                         fail with a diff if generated/ is stale' },
};

function usage(): string {
  return ['usage: uapigen <command> [options]', '', 'commands:', ...Object.values(COMMANDS).map((c) => `  uapigen ${c.help}`), ''].join('\n');
}

const HELP_FLAGS = new Set(['--help', '-h']);

/** `--help` or `-h` among a command's options (before a `--`, after which a file may have that name). */
function asksHelp(args: string[]): boolean {
  const end = args.indexOf('--');
  return (end < 0 ? args : args.slice(0, end)).some((a) => HELP_FLAGS.has(a));
}

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (!cmd || HELP_FLAGS.has(cmd) || cmd === 'help') {
    // `uapigen help diff` is `uapigen diff --help`.
    const about = cmd === 'help' && rest.length > 0 ? COMMANDS[rest[0]] : undefined;
    if (cmd === 'help' && rest.length > 0 && !about) throw new UsageError(`unknown command '${rest[0]}'\n\n${usage()}`);
    process.stdout.write(about ? `usage: uapigen ${about.help}\n` : usage());
    return cmd ? 0 : 2;
  }
  const c = COMMANDS[cmd];
  if (!c) throw new UsageError(`unknown command '${cmd}'\n\n${usage()}`);
  if (asksHelp(rest)) {
    process.stdout.write(`usage: uapigen ${c.help}\n`);
    return 0;
  }
  return c.run(rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof DiagnosticError) {
      const color = process.stderr.isTTY === true;
      for (const d of err.diagnostics) process.stderr.write(formatDiagnostic(d, color) + '\n');
      process.exitCode = 2;
    } else if (err instanceof UsageError) {
      process.stderr.write(formatDiagnostic({ code: 'UG902', severity: 'error', message: err.message }, process.stderr.isTTY === true) + '\n');
      process.exitCode = 2;
    } else {
      const msg = err instanceof Error ? err.message : String(err);
      process.stderr.write(`uapigen: internal error: ${msg}\n(this is a bug in uapigen; run with UAPIGEN_DEBUG=1 for details)\n`);
      if (process.env.UAPIGEN_DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
      process.exitCode = 3;
    }
  },
);
