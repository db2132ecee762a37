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

ev.run();
