// Constants carry gcc's value and C type.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { constant, modelOf } from '../helpers/model.js';

const ev = suite('constant evaluation');

const typed = (src: string, name: string, abi: 'x86_64' | 'i386' = 'x86_64') => {
  const c = constant(modelOf(src, abi), name);
  return `${c.type} ${c.value}`;
};

ev('(1 << 31) is int -2147483648, as gcc folds it', () => {
  assert.is(typed('#define A (1 << 31)\n', 'A'), 'int -2147483648');
});

ev('literal types follow C 6.4.4.1, and depend on the ABI', () => {
  assert.is(typed('#define A 0x80000000\n', 'A'), 'unsigned int 2147483648');
  assert.is(typed('#define A 2147483648\n', 'A', 'x86_64'), 'long 2147483648');
  assert.is(typed('#define A 2147483648\n', 'A', 'i386'), 'long long 2147483648');
  assert.is(typed('#define A 0xffffffffffffffffULL\n', 'A'), 'unsigned long long 18446744073709551615');
  assert.is(typed('#define A 1UL\n', 'A'), 'unsigned long 1');
  assert.is(typed('#define A 010\n', 'A'), 'int 8');
});

ev('usual arithmetic conversions: unsigned wins at equal rank', () => {
  assert.is(typed('#define A (-1 + 0u)\n', 'A'), 'unsigned int 4294967295');
  assert.is(typed('#define A (-1 < 0u)\n', 'A'), 'int 0');
  assert.is(typed('#define A (-1L + 1U)\n', 'A', 'x86_64'), 'long 0');
  assert.is(typed('#define A (-1L + 1U)\n', 'A', 'i386'), 'unsigned long 0');
});

ev('character constants are int; char is signed on x86', () => {
  assert.is(typed("#define A '\\xff'\n", 'A'), 'int -1');
  assert.is(typed("#define A ';'\n", 'A'), 'int 59');
});

ev('casts wrap to the target type', () => {
  assert.is(typed('#define A ((unsigned char)300)\n', 'A'), 'unsigned char 44');
  assert.is(typed('typedef unsigned short u16;\n#define A ((u16)-1)\n', 'A'), 'unsigned short 65535');
});

ev('sizeof is size_t: unsigned long on x86_64, unsigned int on i386', () => {
  const src = 'struct s { char c; int i; };\n#define S sizeof(struct s)\n';
  assert.is(typed(src, 'S', 'x86_64'), 'unsigned long 8');
  assert.is(typed(src, 'S', 'i386'), 'unsigned int 8');
});

ev('the null-pointer offsetof idiom evaluates', () => {
  const src = 'struct s { long long a; int b; char c[3]; };\n#define O ((unsigned long)&((struct s *)0)->c[1])\n';
  assert.is(typed(src, 'O'), 'unsigned long 13');
});

ev('strings concatenate; escapes decode', () => {
  const c = constant(modelOf('#define S "vfio" "-" "pci\\n"\n'), 'S');
  assert.is(c.kind, 'string');
  assert.is(c.value, 'vfio-pci\n');
  assert.is(c.type, 'char[10]');
});

ev('enumerators continue from the last value; macros may use them', () => {
  const m = modelOf('enum { A = 5, B, C = B * 2 };\n#define D (C + 1)\n');
  assert.equal(m.enums[0].decl.members.map((x) => `${x.name}=${x.value}`), ['A=5', 'B=6', 'C=12']);
  assert.is(constant(m, 'D').value, 13n);
});

ev('what is not a constant is kept with the reason', () => {
  const m = modelOf('#define EMPTY\n#define TYPE unsigned int\n#define DIV (1 / 0)\n#define FN(x) x\n');
  const reasons = Object.fromEntries(m.otherMacros.map((o) => [o.name, o.reason]));
  assert.is(reasons.EMPTY, 'expands to nothing');
  assert.match(reasons.TYPE, /not an expression/);
  assert.is(reasons.DIV, 'division by zero');
  assert.is(reasons.FN, 'function-like macro');
});

ev('character constants have their prefix\'s type and value: wchar_t is long on i386', () => {
  assert.is(typed("#define A L'a'\n", 'A', 'x86_64'), 'int 97');
  assert.is(typed("#define A L'a'\n", 'A', 'i386'), 'long 97');
  assert.is(typed("#define A L'\u00e9'\n", 'A'), 'int 233', 'a wide constant is the code point, not its last UTF-8 byte');
  assert.is(typed("#define A L'\\xffffffff'\n", 'A'), 'int -1', 'an escape is one unit of the wide type');
  assert.is(typed("#define A (u'x' + U'y')\n", 'A'), 'unsigned int 241', 'char16_t promotes to int, char32_t is unsigned int');
  assert.is(typed("#define A u'\\xffff'\n", 'A'), 'unsigned short 65535');
  assert.is(typed("#define A '\\u00e9'\n", 'A'), 'int 50089', 'a plain constant of two UTF-8 bytes packs them (0xc3a9), as gcc does');
});

ev('a string literal\'s size counts units of its kind, and escapes as one unit each', () => {
  const size = (lit: string, abi: 'x86_64' | 'i386' = 'x86_64') => typed(`#define A sizeof(${lit})\n`, 'A', abi).split(' ').pop();
  assert.is(size('"\\xff"'), '2', 'a byte that is not UTF-8 is still one byte');
  assert.is(size('L"ab"'), '12');
  assert.is(size('u"ab"'), '6');
  assert.is(size('"a" U"b" "c"'), '16', 'a prefixed part gives its kind to the plain ones');
  assert.is(size('"\u00e9"'), '3');
  assert.is(size('L"\u00e9"', 'i386'), '8');
  assert.is(constant(modelOf('#define S u"\\u00e9" "z"\n'), 'S').type, 'unsigned short[3]');
});

ev('a list of strings, or a string chosen by ?:, is not a string constant (atmdev.h\'s ATM_VS2TXT_MAP)', () => {
  const m = modelOf('#define MAP "IDLE", "BOUND"\n#define PICK (1 ? "a" : "bc")\n#define ONE "x" "y"\n');
  assert.equal(m.otherMacros.map((x) => x.name), ['MAP', 'PICK']);
  assert.match(m.otherMacros[0].reason, /after a comma is an address/);
  assert.is(constant(m, 'ONE').value, 'xy');
});

ev('u8 character constants are refused, as gcc 12 refuses them in C17; mixed prefixes are an error', () => {
  assert.match(modelOf("#define A u8'a'\n").otherMacros[0].reason, /invalid character constant/);
  assert.match(modelOf('#define A sizeof(u"a" L"b")\n').otherMacros[0].reason, /non-standard concatenation/);
});

ev.run();
