// The scripts' arguments (generator/tools/script-args.ts): what each reads, and that every
// script refuses a word it does not understand with exit 2 and its usage, before doing any work.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { PACKAGE_ROOT } from '../../generator/manifest.js';
import { casesAndSeed, chosenParts, ScriptArgsError } from '../../generator/tools/script-args.js';

const t = suite('script arguments');

t('parts: none asked is all of them in their order; those asked, in their order; an unknown one refused by name', () => {
  const parts = ['thread', 'worker', 'block'] as const;
  assert.equal(chosenParts(parts, []), ['thread', 'worker', 'block']);
  assert.equal(chosenParts(parts, ['block', 'thread']), ['thread', 'block']);
  assert.is(chosenParts(parts, ['--help']), undefined);
  assert.throws(() => chosenParts(parts, ['thread', 'x86-64']), (e: Error) => e instanceof ScriptArgsError && e.message.includes("'x86-64'") && e.message.includes('thread, worker, block'));
});

t('--cases and --seed: defaults, whole numbers, and no run of zero cases', () => {
  const defaults = { cases: 100, seed: 1 };
  assert.equal(casesAndSeed(defaults, []), defaults);
  assert.equal(casesAndSeed(defaults, ['--cases', '7', '--seed', '0']), { cases: 7, seed: 0 });
  assert.equal(casesAndSeed(defaults, ['--cases=12']), { cases: 12, seed: 1 });
  assert.is(casesAndSeed(defaults, ['-h']), undefined);
  for (const bad of [['--cases', 'x'], ['--cases', '0'], ['--cases=-3'], ['--cases', '1.5'], ['--cases', ''], ['--seed', '2e3'], ['--seed=-1'], ['--cases', '1e400'], ['--bogus'], ['extra'], ['--cases']]) {
    assert.throws(() => casesAndSeed(defaults, bad), (e: Error) => e instanceof ScriptArgsError, bad.join(' '));
  }
});

const SCRIPTS: [string, string[], string][] = [
  ['dist/test/fuzz/rings.js', ['--cases', 'x'], '--cases x'],
  ['dist/test/fuzz/header-mutations.js', ['--seed', 'one'], '--seed one'],
  ['dist/test/bench/rings.js', ['threads'], "'threads'"],
  ['dist/generator/tools/bench.js', ['generating'], "'generating'"],
  ['dist/generator/tools/sweep.js', ['x86-64'], "'x86-64'"],
];

for (const [script, args, named] of SCRIPTS) {
  t(`${script} ${args.join(' ')}: exit 2, naming what it refused, with its usage and no stack`, () => {
    const r = spawnSync(process.execPath, [join(PACKAGE_ROOT, script), ...args], { encoding: 'utf8', timeout: 60_000 });
    assert.is(r.status, 2, r.stdout + r.stderr);
    assert.ok(r.stderr.includes(named) && r.stderr.includes('usage: '), r.stderr);
    assert.not.match(r.stderr, /\n\s+at /, 'no stack trace');
    assert.is(r.stdout, '', 'no work started');
  });
}

t.run();
