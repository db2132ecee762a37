// Bad input: each error names file:line:col with a caret under the spot, exits 2, and never
// shows a stack trace.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { formatDiagnostic } from '../../generator/diagnostics.js';
import { NESTING_LIMIT } from '../../generator/preprocess/nesting.js';
import { errorsOf, modelOf, writeTree } from '../helpers/model.js';

const errors = suite('errors');
const CLI = join(process.cwd(), 'dist', 'generator', 'cli.js');

function first(files: Record<string, string>) {
  const d = errorsOf(files)[0];
  return { d, text: formatDiagnostic(d), where: d.loc ? `${d.loc.file.displayPath.split('/').pop()}:${d.loc.line}:${d.loc.col}` : '' };
}

errors('syntax error points at the offending token', () => {
  const { d, where, text } = first({ 'test.h': 'struct s {\n\tint a;\n\tint b c;\n};\n' });
  assert.is(d.code, 'UG201');
  assert.is(where, 'test.h:3:8');
  assert.match(text, /expected .* before 'c'/);
  assert.match(text, /3 \|\s+int b c;\n\s+\|\s+\^/);
});

errors('syntax error says what would do there in words: a type name, the characters of an operator', () => {
  const member = first({ 'test.h': 'struct s {\n\tint a;\n\t( b;\n};\n' });
  assert.is(member.where, 'test.h:3:2');
  assert.match(member.d.message, /expected .*'\}' or type name before '\('/);
  const operand = first({ 'test.h': 'int x[(int)];\n' });
  assert.match(operand.d.message, /expected '!', .*'~', .* before '\]'/);
  assert.not.match(operand.d.message, /\bclass\b/, 'no peggy-internal words');
});

errors('missing include names the header and the #include line', () => {
  const { d, where } = first({ 'test.h': '#define A 1\n#include <no/such/header.h>\n' });
  assert.is(d.code, 'UG101');
  assert.is(where, 'test.h:2:10');
  assert.match(d.message, /no\/such\/header\.h: No such file/);
});

errors('unterminated comment points at where it starts', () => {
  const { d, where } = first({ 'test.h': '#define A 1\n  /* never closed\n#define B 2\n' });
  assert.is(d.code, 'UG102');
  assert.is(where, 'test.h:2:3');
});

errors('macro called with the wrong number of arguments', () => {
  const { d, where } = first({ 'test.h': '#define F(a, b) a + b\nint x[F(1)];\n' });
  assert.is(d.code, 'UG103');
  assert.is(where, 'test.h:2:7');
  assert.match(d.message, /"F" passed 1 argument, but takes 2/);
});

errors('#if expression that cannot be evaluated', () => {
  const { d, where } = first({ 'test.h': '#define A 1\n#if A +\n#endif\n' });
  assert.is(d.code, 'UG104');
  assert.is(where.split(':').slice(0, 2).join(':'), 'test.h:2');
  const div = first({ 'test.h': '#if 1 / 0\n#endif\n' });
  assert.is(div.d.code, 'UG104');
  assert.match(div.d.message, /division by zero/);
});

errors('#error stops the header with its text', () => {
  const { d, where } = first({ 'test.h': '#ifndef NEEDED\n#error NEEDED must be defined\n#endif\n' });
  assert.is(d.code, 'UG105');
  assert.is(where, 'test.h:2:1');
  assert.match(d.message, /NEEDED must be defined/);
});

errors('unterminated #if', () => {
  const { d } = first({ 'test.h': '#if 1\n#define A 1\n' });
  assert.is(d.code, 'UG107');
});

errors('every problem of a stage is reported, not just the first', () => {
  const all = errorsOf({ 'test.h': '#error one\n#error two\n' });
  assert.equal(all.map((x) => x.code), ['UG105', 'UG105']);
});

errors('the CLI prints file:line:col, a caret, exits 2, and shows no stack trace', () => {
  const dir = writeTree({ 'bad.h': 'struct s { int a }\n' });
  const r = spawnSync(process.execPath, [CLI, 'model', join(dir, 'bad.h')], { encoding: 'utf8' });
  assert.is(r.status, 2);
  assert.match(r.stderr, /bad\.h:1:18: error\[UG201\]: syntax error/);
  assert.match(r.stderr, /\^/);
  assert.not.match(r.stderr, /at .*\.js:\d+/);
});

errors('the CLI rejects bad usage with exit 2', () => {
  const r1 = spawnSync(process.execPath, [CLI, 'model', 'linux/vfio.h', '--abi', 'arm'], { encoding: 'utf8' });
  assert.is(r1.status, 2);
  assert.match(r1.stderr, /^uapigen: error\[UG902\]: --abi must be x86_64 or i386/);
  const r2 = spawnSync(process.execPath, [CLI, 'model', 'linux/does_not_exist.h'], { encoding: 'utf8' });
  assert.is(r2.status, 2);
  assert.match(r2.stderr, /UG901.*cannot find header 'linux\/does_not_exist.h'/);
  const r3 = spawnSync(process.execPath, [CLI, 'frobnicate'], { encoding: 'utf8' });
  assert.is(r3.status, 2);
  // A tree against one header: said as such, not as a header that cannot be found.
  const dir = writeTree({ 'tree/x.h': '#define X 1\n', 'x.h': '#define X 1\n' });
  const r4 = spawnSync(process.execPath, [CLI, 'diff', join(dir, 'tree'), join(dir, 'x.h')], { encoding: 'utf8' });
  assert.is(r4.status, 2);
  assert.match(r4.stderr, /UG902\]: .*tree is a directory and .*x\.h is not: give two headers or two directories/);
});

errors("each command's --help, -h and `help <command>` print its usage and exit 0; after `--`, -h is a file", () => {
  for (const args of [['diff', '--help'], ['help', 'diff'], ['diff', 'a.h', '-h']]) {
    const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });
    assert.is(r.status, 0, args.join(' '));
    assert.match(r.stdout, /^usage: uapigen diff OLD NEW \| --base H --patch P/, args.join(' '));
  }
  const unknown = spawnSync(process.execPath, [CLI, 'help', 'frobnicate'], { encoding: 'utf8' });
  assert.is(unknown.status, 2);
  assert.match(unknown.stderr, /UG902\]: unknown command 'frobnicate'/);
  const file = spawnSync(process.execPath, [CLI, 'model', '--', '-h'], { encoding: 'utf8' });
  assert.is(file.status, 2);
  assert.match(file.stderr, /UG901.*cannot find header '-h'/);
});

errors('a macro that doubles at each level stops at its use, with what it is, instead of running out of memory', () => {
  const levels = ['#define A0 1', ...Array.from({ length: 39 }, (_, k) => `#define A${k + 1} (A${k} + A${k})`)];
  const { d, where } = first({ 'test.h': `${levels.join('\n')}\nenum { X = A39 };\n` });
  assert.is(d.code, 'UG112');
  assert.is(where, 'test.h:41:12');
  assert.match(d.message, /expanding "A39" makes more than 1000000 tokens/);
});

errors('macro calls nested thousands deep in an argument stop at the outer call', () => {
  const { d, where } = first({ 'test.h': `#define F(x) x\nenum { X = ${'F('.repeat(5000)}1${')'.repeat(5000)} };\n` });
  assert.is(d.code, 'UG112');
  assert.is(where, 'test.h:2:12');
  assert.match(d.message, /expanding "F" nests macro calls too deep/);
});

errors('brackets nested past the limit are refused at the bracket that goes past it; at the limit they are read', () => {
  const at = (n: number) => `enum { X = ${'('.repeat(n)}1${')'.repeat(n)} };\n`;
  const { d, where } = first({ 'test.h': at(1000) });
  assert.is(d.code, 'UG203');
  // The enum's brace is level 1; after 'enum { X = ' (11 columns) the 128th '(' opens level 129.
  assert.is(where, `test.h:1:${11 + NESTING_LIMIT}`);
  assert.is(modelOf(at(NESTING_LIMIT - 1)).enums[0].decl.members[0].value, 1n);
  const inIf = first({ 'test.h': `#if ${'('.repeat(100000)}1${')'.repeat(100000)}\n#endif\n` });
  assert.is(inIf.d.code, 'UG104');
  assert.match(inIf.d.message, /nested more than 128 deep/);
});

errors('a chain of a hundred thousand unary operators is a located error, not an internal one', () => {
  const { d, where } = first({ 'test.h': `enum { X = ${'- '.repeat(100000)}1 };\n` });
  assert.is(d.code, 'UG203');
  assert.is(where, 'test.h:1:1');
  const inIf = first({ 'test.h': `#if ${'! '.repeat(100000)}1\n#endif\n` });
  assert.is(inIf.d.code, 'UG104');
  assert.match(inIf.d.message, /too deep/);
});

errors('warnings are printed (a macro redefined, where gcc warns too), once for both ABIs, and do not fail', () => {
  // Lines 2 and 4 are gcc's cases of a definition that differs; line 3 differs from line 1
  // only in the amount of white space, which C allows.
  const header = '#define A 1\n#define A 2\n#define A  2\n#define F(x) x+1\n#define F(x) x + 1\n#warning look\n';
  const dir = writeTree({ 'w.h': header });
  const gcc = spawnSync('gcc', ['-fsyntax-only', '-x', 'c', join(dir, 'w.h')], { encoding: 'utf8', env: { ...process.env, LC_ALL: 'C' } });
  // gcc gives a redefinition's line without a column.
  const gccLines = [...gcc.stderr.matchAll(/w\.h:(\d+)(?::\d+)?: warning: (?:"\w+" redefined|#warning)/g)].map((m) => m[1]);
  assert.equal(gccLines, ['2', '5', '6'], gcc.stderr);
  const r = spawnSync(process.execPath, [CLI, 'verify', join(dir, 'w.h'), '--abi', 'all'], { encoding: 'utf8' });
  assert.is(r.status, 0, r.stderr);
  const ours = [...r.stderr.matchAll(/w\.h:(\d+):\d+: warning\[(UG11[03])\]/g)].map((m) => m[1]);
  assert.equal(ours, gccLines, r.stderr);
  assert.match(r.stderr, /warning\[UG113\]: "A" redefined[\s\S]*--> .*w\.h:1:9: note: the earlier definition is here/);
});

errors.run();
