import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { constant, modelOf, writeTree } from '../helpers/model.js';
import { buildModel } from '../../generator/pipeline.js';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { DiagnosticError } from '../../generator/diagnostics.js';
import { ABIS } from '../../generator/model/abi.js';
import { GCC_VERSION } from '../../generator/model/gcc-predefined.js';
import { gccPredefinedLines, gccVersion } from '../../generator/tools/gcc-predefined.js';

const pp = suite('preprocessor');

const value = (src: string, name: string) => String(constant(modelOf(src), name).value);

pp('object-like macros rescan, and a macro never expands inside itself', () => {
  assert.is(value('#define A B + 1\n#define B 2\n#define X A\n', 'X'), '3');
  // `foo` expands to `foo`, which is not expanded again: not a constant.
  const m = modelOf('#define foo foo\n');
  assert.ok(m.otherMacros.some((o) => o.name === 'foo' && /not a constant/.test(o.reason)));
});

pp('function-like macros: arguments are expanded before substitution, # and ## are not', () => {
  const src = ['#define ONE 1', '#define ADD(a, b) ((a) + (b))', '#define CAT(a, b) a ## b', '#define STR(x) #x',
    '#define X ADD(ONE, 2)', '#define Y CAT(0x, 10)', '#define Z sizeof(STR(ONE))', ''].join('\n');
  const m = modelOf(src);
  assert.is(constant(m, 'X').value, 3n);
  assert.is(constant(m, 'Y').value, 16n);
  assert.is(constant(m, 'Z').value, 4n, '"ONE" plus its NUL: # does not expand its argument');
});

pp('a function-like macro name without ( is left alone', () => {
  const m = modelOf('#define F(x) x\n#define G F\n#define H G(7)\n');
  assert.is(constant(m, 'H').value, 7n);
});

pp('variadic macros: __VA_ARGS__, named GNU form, and the , ## comma rule', () => {
  const src = ['#define SUM(...) (0 __VA_ARGS__)', '#define FIRST(a, rest...) (a)', '#define OPT(a, ...) (a , ## __VA_ARGS__)',
    '#define A SUM(+1 +2)', '#define B FIRST(5, 6, 7)', '#define C OPT(9)', ''].join('\n');
  const m = modelOf(src);
  assert.is(constant(m, 'A').value, 3n);
  assert.is(constant(m, 'B').value, 5n);
  assert.is(constant(m, 'C').value, 9n);
});

pp('#if arithmetic is intmax_t/uintmax_t and defined works in both spellings', () => {
  const src = ['#if -1 > 0u', '#define UNSIGNED_WINS 1', '#endif', '#if defined(UNSIGNED_WINS) && defined UNSIGNED_WINS && !defined(NOPE)',
    '#define BOTH 1', '#elif 1', '#define WRONG 1', '#else', '#define WRONG2 1', '#endif', '#if 0', '#if garbage ((( ', '#endif', '#define SKIPPED 1', '#endif', ''].join('\n');
  const m = modelOf(src);
  assert.ok(m.constants.some((c) => c.name === 'UNSIGNED_WINS'));
  assert.ok(m.constants.some((c) => c.name === 'BOTH'));
  assert.not.ok(m.constants.some((c) => c.name === 'WRONG' || c.name === 'WRONG2' || c.name === 'SKIPPED'));
});

pp('the ABI decides the predefined macros: __x86_64__ or __i386__', () => {
  const src = '#ifdef __x86_64__\n#define WIDTH 64\n#else\n#define WIDTH 32\n#endif\n';
  assert.is(constant(modelOf(src, 'x86_64'), 'WIDTH').value, 64n);
  assert.is(constant(modelOf(src, 'i386'), 'WIDTH').value, 32n);
});

pp('#include searches the includer directory for "..." and -I dirs; #include_next continues after the current dir', () => {
  const dir = writeTree({
    'main.h': '#include "local.h"\n#include <wrap.h>\n#define M (LOCAL + WRAPPED)\n',
    'local.h': '#define LOCAL 1\n',
    'a/wrap.h': '#include_next <wrap.h>\n#define WRAPPED (INNER * 10)\n',
    'b/wrap.h': '#define INNER 4\n',
  });
  const m = buildModel([join(dir, 'main.h')], { abi: 'x86_64', includeDirs: [join(dir, 'a'), join(dir, 'b')] });
  assert.is(constant(m, 'M').value, 41n);
});

pp('comments are kept for the model: trailing on the line, or the block just above', () => {
  const m = modelOf('/* the answer */\n#define A 42\n#define B 1 /* one */\n\n#define C 2\n');
  assert.is(constant(m, 'A').doc, 'the answer');
  assert.is(constant(m, 'B').doc, 'one');
  assert.is(constant(m, 'C').doc, undefined);
});

pp('the predefined macros are gcc\'s own, on both ABIs (a header reads as under gcc)', () => {
  for (const [abi, flag] of [['x86_64', '-m64'], ['i386', '-m32']] as const) {
    const table = ABIS[abi].predefined.split('\n');
    const gcc = gccPredefinedLines(flag);
    const missing = gcc.filter((l) => !table.includes(l));
    const extra = table.filter((l) => !gcc.includes(l));
    assert.equal({ missing, extra }, { missing: [], extra: [] }, `gcc ${gccVersion()} and the table of gcc ${GCC_VERSION} disagree on ${abi}: run node dist/generator/tools/gcc-predefined.js`);
  }
  const src = '#if __SIZEOF_WCHAR_T__ == 4 && defined __STDC_ISO_10646__ && __SIZE_MAX__ > 0xffffffff\n#define WIDE 1\n#endif\n#define B __INT64_C(5)\n';
  assert.is(constant(modelOf(src, 'x86_64'), 'WIDE').value, 1n);
  assert.not.ok(modelOf(src, 'i386').constants.some((c) => c.name === 'WIDE'), '__SIZE_MAX__ is 32 bits on i386');
  assert.is(constant(modelOf(src, 'x86_64'), 'B').type, 'long');
  assert.is(constant(modelOf(src, 'i386'), 'B').type, 'long long');
});

pp('__has_include looks where #include would ("..." beside the includer first), __has_include_next where #include_next would; gcc agrees', () => {
  const dir = writeTree({
    'main.h': [
      '#include <wrap.h>',
      '#if __has_include("beside.h")', '#define HAS_BESIDE 1', '#endif',
      '#if __has_include(<beside.h>)', '#define HAS_BESIDE_ON_PATH 1', '#endif',
      '#if defined(__has_include) && defined __has_include_next', '#define HAS_OPERATORS 1', '#endif',
      // gcc counts its operators as defined, the ones uapigen does not answer too.
      '#if defined(__has_attribute) && defined __has_builtin && defined(__has_c_attribute) && defined(__has_cpp_attribute)', '#define HAS_UNANSWERED 1', '#endif',
      '#ifdef __has_feature', '#define HAS_CLANG_ONLY 1', '#endif',
      // glibc's sys/cdefs.h: the question on the side of || that is not evaluated needs no answer.
      '#if 1 || __has_attribute(__nothrow__)', '#define HAS_SHORT_CIRCUIT 1', '#endif',
      '#if 0 && __has_builtin(__builtin_expect)', '#define HAS_NEVER 1', '#endif',
      // The model keeps the constants of the headers it is given: wrap.h's answers come back here.
      '#ifdef NEXT_WRAP', '#define HAS_NEXT_WRAP 1', '#endif', '#ifdef NEXT_ONLY_A', '#define HAS_NEXT_ONLY_A 1', '#endif',
      '',
    ].join('\n'),
    'beside.h': '',
    'a/wrap.h': '#if __has_include_next(<wrap.h>)\n#define NEXT_WRAP 1\n#endif\n#if __has_include_next(<only_a.h>)\n#define NEXT_ONLY_A 1\n#endif\n',
    'a/only_a.h': '',
    'b/wrap.h': '',
  });
  const includeDirs = [join(dir, 'a'), join(dir, 'b')];
  const ours = buildModel([join(dir, 'main.h')], { abi: 'x86_64', includeDirs }).constants.map((c) => c.name).filter((n) => n.startsWith('HAS_')).sort();
  const gcc = spawnSync('gcc', ['-dM', '-E', ...includeDirs.map((d) => `-I${d}`), join(dir, 'main.h')], { encoding: 'utf8' });
  const theirs = [...gcc.stdout.matchAll(/^#define (HAS_\w+)/gm)].map((m) => m[1]).sort();
  assert.equal(ours, theirs, gcc.stderr);
  assert.equal(ours, ['HAS_BESIDE', 'HAS_NEXT_WRAP', 'HAS_OPERATORS', 'HAS_SHORT_CIRCUIT', 'HAS_UNANSWERED'], 'the case covers each answer');
});

pp('__has_attribute and __has_builtin are refused where the header asks, not answered with a guess', () => {
  // The idiom: gcc takes the #ifdef, so uapigen does too, and stops at the question inside.
  const dir = writeTree({ 'test.h': '#ifdef __has_attribute\n#if 0 || __has_attribute(packed)\n#endif\n#endif\n' });
  try {
    buildModel([join(dir, 'test.h')], { abi: 'x86_64' });
    assert.unreachable('a guess was taken');
  } catch (e) {
    if (!(e instanceof DiagnosticError)) throw e;
    const d = e.diagnostics[0];
    assert.is(`${d.code} ${d.loc?.line}:${d.loc?.col}`, 'UG104 2:10');
    assert.match(d.message, /__has_attribute is not modelled by uapigen/);
  }
});

pp.run();
