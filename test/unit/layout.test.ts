// Record layouts per ABI. These are also checked against gcc by the verify tests; here each
// rule is pinned with a small case.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { field, modelOf, record } from '../helpers/model.js';

const lay = suite('layout');
const T = '#include <linux/types.h>\n';

lay('__u64 aligns to 8 on x86_64 and 4 on i386; __aligned_u64 to 8 on both', () => {
  const src = T + 'struct a { __u32 x; __u64 y; };\nstruct b { __u32 x; __aligned_u64 y; };\n';
  const m64 = modelOf(src, 'x86_64');
  const m32 = modelOf(src, 'i386');
  assert.is(field(m64, 'a', 'y').offset, 8);
  assert.is(field(m32, 'a', 'y').offset, 4);
  assert.is(record(m32, 'a').layout.size, 12);
  assert.is(field(m32, 'b', 'y').offset, 8);
  assert.is(record(m32, 'b').layout.align, 8);
});

lay('packed and aligned attributes', () => {
  const m = modelOf(T + 'struct p { __u8 a; __u32 b; } __attribute__((packed));\nstruct q { __u8 a; } __attribute__((aligned(16)));\nstruct r { __u8 a; __u8 b __attribute__((aligned(4))); };\n');
  assert.is(record(m, 'p').layout.size, 5);
  assert.is(field(m, 'p', 'b').offset, 1);
  assert.is(record(m, 'q').layout.size, 16);
  assert.is(field(m, 'r', 'b').offset, 4);
});

lay('bit-fields pack into units of their type and never straddle one', () => {
  const m = modelOf('struct b { unsigned a : 3; unsigned b : 30; unsigned char c : 4; unsigned char d : 6; };\n');
  assert.is(field(m, 'b', 'a').bitOffset, 0);
  assert.is(field(m, 'b', 'b').bitOffset, 32);
  assert.is(field(m, 'b', 'c').bitOffset, 62 + 2);
  assert.is(field(m, 'b', 'd').bitOffset, 72);
  assert.is(record(m, 'b').layout.size, 12);
});

lay('flexible arrays have no size but align the struct; empty structs are 0 bytes (GNU C)', () => {
  const m = modelOf(T + 'struct f { __u32 n; __u64 data[]; };\nstruct e { };\nstruct z { __u32 n; __u8 zero[0]; };\n');
  assert.is(record(m, 'f').layout.size, 8);
  assert.is(field(m, 'f', 'data').offset, 8);
  assert.is(record(m, 'e').layout.size, 0);
  assert.is(record(m, 'z').layout.size, 4);
});

lay('#pragma pack caps member alignment and push/pop restore it', () => {
  const m = modelOf(T + '#pragma pack(push, 2)\nstruct a { __u8 x; __u32 y; };\n#pragma pack(pop)\nstruct b { __u8 x; __u32 y; };\n');
  assert.is(field(m, 'a', 'y').offset, 2);
  assert.is(field(m, 'b', 'y').offset, 4);
});

lay('unions, anonymous members and nested records', () => {
  const m = modelOf(T + 'struct o { __u32 k; union { __u64 u; __u8 b[12]; }; struct { __u16 x; } named; };\n');
  const r = record(m, 'o');
  assert.is(r.layout.size, 32);
  assert.is(r.layout.fields[1].offset, 8);
  assert.is(field(m, 'o', 'named').offset, 24);
});

lay.run();
