// Declarations gcc refuses are refused by the model too, at the spot gcc names, and those gcc
// takes are taken. Each case is put to gcc in the same run, so a case that stopped being an
// error (or became one) for gcc fails here rather than testing nothing.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { DiagnosticCode, DiagnosticError } from '../../generator/diagnostics.js';
import { AbiName, ABIS } from '../../generator/model/abi.js';
import { buildModel } from '../../generator/pipeline.js';
import { writeTree } from '../helpers/model.js';

const c = suite('declaration constraints, against gcc');

interface Refused {
  what: string;
  header: string;
  code: DiagnosticCode;
  /** Part of uapigen's message. */
  says: RegExp;
  abi?: AbiName;
}

const REFUSED: Refused[] = [
  { what: 'a flexible array before another member', header: 'struct s { int n; char b[]; int c; };', code: 'UG306', says: /flexible array member 'b' not at end of struct/ },
  { what: 'a flexible array in a union', header: 'union u { int a; char b[]; };', code: 'UG306', says: /flexible array member 'b' in union/ },
  { what: 'a flexible array with no named member before it', header: 'struct s { int : 3; char d[]; };', code: 'UG306', says: /no named members/ },
  { what: 'an array of arrays with no inner bound', header: 'struct s { int n; char d[2][]; };', code: 'UG306', says: /incomplete element type 'char\[\]'/ },
  { what: 'a bit-field wider than int', header: 'struct s { int a : 40; };', code: 'UG306', says: /width of 'a' exceeds its type \(32 bits\)/ },
  { what: 'a bit-field wider than char', header: 'struct s { char c : 9; };', code: 'UG306', says: /exceeds its type \(8 bits\)/ },
  { what: 'a _Bool bit-field of two bits', header: 'struct s { _Bool c : 2; };', code: 'UG306', says: /exceeds its type \(1 bit\)/ },
  { what: 'a 40-bit long on i386, where long is 32 bits', header: 'struct s { long x : 40; };', code: 'UG306', says: /exceeds its type \(32 bits\)/, abi: 'i386' },
  { what: 'an enum bit-field wider than the enum', header: 'enum e { Q = 7 }; struct s { enum e x : 40; };', code: 'UG306', says: /width of 'x' exceeds/ },
  { what: 'a named bit-field of width zero', header: 'struct s { int a : 0; };', code: 'UG306', says: /zero width for bit-field 'a'/ },
  { what: 'a float bit-field', header: 'struct s { float f : 3; };', code: 'UG306', says: /bit-field 'f' has invalid type/ },
  { what: 'a pointer bit-field', header: 'struct s { int *p : 3; };', code: 'UG306', says: /bit-field 'p' has invalid type/ },
  { what: 'a void member', header: 'struct s { int a; void v; };', code: 'UG306', says: /field 'v' declared void/ },
  { what: 'a function member', header: 'struct s { int f(void); };', code: 'UG306', says: /field 'f' declared as a function/ },
  { what: 'two members of one name', header: 'struct s { int a; int a; };', code: 'UG306', says: /duplicate member 'a'/ },
  { what: 'a name an anonymous union brings in twice', header: 'struct s { int a; union { int b; int a; }; };', code: 'UG306', says: /duplicate member 'a'/ },
  { what: 'a struct defined twice, even alike', header: 'struct s { int a; }; struct s { int a; };', code: 'UG305', says: /redefinition of 'struct s'/ },
  { what: 'an enum defined twice', header: 'enum e { A }; enum e { B };', code: 'UG305', says: /redefinition of 'enum e'/ },
  { what: 'one tag as struct and union', header: 'struct s; union s { int a; };', code: 'UG305', says: /'s' defined as wrong kind of tag: union here, struct before/ },
  { what: 'an enumerator in two enums', header: 'enum e { A }; enum f { A };', code: 'UG305', says: /redeclaration of enumerator 'A'/ },
  { what: 'a typedef of long, then of long long', header: 'typedef long t; typedef long long t;', code: 'UG305', says: /typedef 't' with a different type: 'long long', was 'long'/ },
  { what: 'a typedef of an enum, then of its integer type', header: 'enum e { X }; typedef enum e t; typedef unsigned int t;', code: 'UG305', says: /typedef 't' with a different type/ },
  { what: 'a member of an incomplete type', header: 'struct s { int a; struct nope x; };', code: 'UG302', says: /field 'x': struct nope is incomplete/ },
  { what: 'a struct that holds itself', header: 'struct s { int a; struct s x; };', code: 'UG302', says: /field 'x': struct s contains itself/ },
  { what: '__int128 on i386, where gcc has none', header: 'struct s { int a; __int128 q; };', code: 'UG301', says: /'__int128' is not supported on this target \(i386\)/, abi: 'i386' },
  { what: 'an array past PTRDIFF_MAX', header: 'struct s { char a[1ULL << 63]; };', code: 'UG307', says: /PTRDIFF_MAX/ },
  { what: 'an array past PTRDIFF_MAX on i386', header: 'struct s { char a[1U << 31]; };', code: 'UG307', says: /i386 limit of 2147483647/, abi: 'i386' },
];

/** Accepted by gcc, and the model must not refuse them: the rules above drawn no wider than gcc's. */
const ACCEPTED: { what: string; header: string; abi?: AbiName }[] = [
  { what: 'a flexible array last', header: 'struct s { int n; char d[]; };' },
  { what: 'a flexible array of arrays', header: 'struct s { int n; char d[][2]; };' },
  { what: 'a flexible array after an anonymous union', header: 'struct s { union { int a; }; char d[]; };' },
  { what: 'a struct ending in a flexible array, held before another member (GNU C)', header: 'struct a { int n; char d[]; }; struct b { struct a x; int y; };' },
  { what: 'an unnamed bit-field of width zero', header: 'struct s { int a : 3; int : 0; int b : 3; };' },
  { what: 'a 40-bit long on x86_64', header: 'struct s { long x : 40; };' },
  { what: '__int128 on x86_64', header: 'struct s { int a; unsigned __int128 q; };' },
  { what: 'full-width bit-fields', header: 'struct s { int a : 32; _Bool b : 1; unsigned long long c : 64; };' },
  { what: 'an enum bit-field that fits', header: 'enum e { Q = 7 }; struct s { enum e x : 3; };' },
  { what: 'a typedef declared again to the same type through another typedef', header: 'typedef unsigned int u32; typedef u32 t; typedef unsigned int t;' },
  { what: 'a typedef declared again with another alignment only', header: 'typedef int t __attribute__((aligned(8))); typedef int t;' },
  { what: 'a struct declared, then defined, then used', header: 'struct s; struct s { int a; }; struct t { struct s x; };' },
  { what: 'one member name in two sibling structs', header: 'struct a { int x; }; struct b { int x; union { int y; }; };' },
];

/** gcc's verdict on a header alone for an ABI: undefined when it accepts, else its first error's line:col and text. */
function gcc(header: string, abi: AbiName): { at: string; text: string } | undefined {
  const r = spawnSync('gcc', [ABIS[abi].gccFlag, '-fsyntax-only', '-x', 'c', '-'], { input: `${header}\n`, encoding: 'utf8' });
  if (r.error) throw r.error;
  if (r.status === 0) return undefined;
  const m = /^<stdin>:(\d+:\d+): error: (.*)$/m.exec(r.stderr);
  if (!m) throw new Error(`gcc failed without an error line: ${r.stderr}`);
  return { at: m[1], text: m[2] };
}

function model(header: string, abi: AbiName) {
  const dir = writeTree({ 'test.h': `${header}\n` });
  return buildModel([join(dir, 'test.h')], { abi, includeDirs: [dir] });
}

c('each declaration gcc refuses is refused, with the code and at the line and column gcc names', () => {
  for (const x of REFUSED) {
    const abi = x.abi ?? 'x86_64';
    const g = gcc(x.header, abi);
    assert.ok(g, `gcc (${abi}) accepts ${x.what}: the case tests nothing`);
    let err: unknown;
    try {
      model(x.header, abi);
    } catch (e) {
      err = e;
    }
    assert.ok(err instanceof DiagnosticError, `${x.what}: the model was built (gcc says ${g!.at}: ${g!.text})`);
    const d = (err as DiagnosticError).diagnostics.find((y) => y.severity === 'error')!;
    assert.is(`${d.code} ${d.loc?.line}:${d.loc?.col}`, `${x.code} ${g!.at}`, `${x.what}: ${d.message} (gcc: ${g!.text})`);
    assert.match(d.message, x.says, x.what);
  }
});

c('each declaration gcc takes is taken', () => {
  for (const x of ACCEPTED) {
    const abi = x.abi ?? 'x86_64';
    assert.is(gcc(x.header, abi), undefined, `gcc (${abi}) refuses ${x.what}: the case tests nothing`);
    try {
      model(x.header, abi);
    } catch (e) {
      assert.unreachable(`${x.what}: ${e instanceof DiagnosticError ? e.diagnostics.map((d) => `${d.code} ${d.message}`).join('; ') : String(e)}`);
    }
  }
});

c('the size limit that is uapigen\'s own (2^53 - 1 bytes, where gcc allows up to 2^63 - 1) says so', () => {
  const header = 'struct s { char a[1ULL << 62]; };';
  assert.is(gcc(header, 'x86_64'), undefined, 'gcc takes it on x86_64');
  try {
    model(header, 'x86_64');
    assert.unreachable('a size the model cannot hold exactly was accepted');
  } catch (e) {
    if (!(e instanceof DiagnosticError)) throw e;
    assert.is(e.diagnostics[0].code, 'UG307');
    assert.match(e.diagnostics[0].message, /4611686018427387904 bytes, past the 9007199254740991 \(2\^53 - 1\) that uapigen models exactly/);
  }
});

c('a redefinition points back at the first one, and the first one stands', () => {
  try {
    // Were the second to stand, sizeof would be 8 and the enumerator a division by zero.
    model('struct s { int a; };\nstruct s { long b; };\nenum { A = 1 / (sizeof(struct s) == 4) };', 'x86_64');
    assert.unreachable('the redefinition was accepted');
  } catch (e) {
    if (!(e instanceof DiagnosticError)) throw e;
    assert.is(e.diagnostics.length, 1, e.message);
    const [d] = e.diagnostics;
    assert.equal(d.related?.map((r) => `${r.loc.line}:${r.loc.col}`), ['1:8']);
  }
});

c('a problem met on two paths is reported once', () => {
  // The anonymous union is checked on its own and again as part of the struct that takes its names in.
  try {
    model('struct s { union { int a; int a; }; };', 'x86_64');
    assert.unreachable('the duplicate was accepted');
  } catch (e) {
    if (!(e instanceof DiagnosticError)) throw e;
    assert.equal(e.diagnostics.map((d) => `${d.code} ${d.loc?.line}:${d.loc?.col}`), ['UG306 1:31']);
  }
});

c.run();
