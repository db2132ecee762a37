// Every change class of `uapigen diff` has a fixture pair here; each asserts the class, its
// severity, the subject and both locations. Each pair also diffs old against old and new
// against new, which must find nothing.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { DiagnosticError } from '../../generator/diagnostics.js';
import { diffPairs, pairsOf } from '../../generator/diff/run.js';
import { CHANGE_CLASSES, ChangeCode, Finding } from '../../generator/diff/findings.js';
import { modelOf, writeTree } from '../helpers/model.js';
import { compareModels } from '../../generator/diff/compare.js';

const d = suite('diff change classes');
const H = '#include <linux/types.h>\n#include <linux/ioctl.h>\n';

function diff(oldText: string, newText: string): Finding[] {
  const dir = writeTree({ 'old/t.h': H + oldText, 'new/t.h': H + newText });
  return diffPairs(pairsOf(join(dir, 'old'), join(dir, 'new'), []), ['x86_64', 'i386'], 'old', 'new').findings;
}

interface Case {
  code: ChangeCode;
  subject: string;
  old: string;
  new: string;
  /** Lines in t.h (the two includes are lines 1-2) of the old and new places, when there are. */
  oldLine?: number;
  newLine?: number;
}

const FLAGS = (extra = '') => `struct s {\n\t__u32 flags;\n#define S_F_A (1 << 0)\n#define S_F_B (1 << 1)\n${extra}\t__u32 n;\n};\n`;
const CAP = (second: string) =>
  `struct dev_cap_header { __u16 id; __u16 version; __u32 next; };\nstruct dev_info { __u32 argsz; __u32 cap_offset; };\n#define DEV_INFO_CAP_A 1\nstruct dev_info_cap_a { struct dev_cap_header header; __u32 x; };\n${second}`;

const CASES: Case[] = [
  { code: 'CONSTANT_REMOVED', subject: 'B', old: '#define A 1\n#define B 2\n', new: '#define A 1\n', oldLine: 4 },
  { code: 'CONSTANT_VALUE_CHANGED', subject: 'A', old: '#define A 1\n', new: '\n#define A 2\n', oldLine: 3, newLine: 4 },
  { code: 'CONSTANT_TYPE_CHANGED', subject: 'A', old: '#define A 1\n', new: '#define A 1u\n', oldLine: 3, newLine: 3 },
  { code: 'CONSTANT_RENAMED', subject: 'OLD_NAME', old: '#define OLD_NAME 7\n', new: '#define NEW_NAME 7\n', oldLine: 3, newLine: 3 },
  { code: 'CONSTANT_ADDED', subject: 'B', old: '#define A 1\n', new: '#define A 1\n#define B 2\n', newLine: 4 },
  { code: 'FLAG_BIT_COLLISION', subject: 'S_F_C', old: FLAGS(), new: FLAGS('#define S_F_C (1 << 1)\n'), oldLine: 6, newLine: 7 },
  { code: 'FLAG_ADDED', subject: 'S_F_C', old: FLAGS(), new: FLAGS('#define S_F_C (1 << 2)\n'), newLine: 7 },
  { code: 'ENUM_MEMBER_RENUMBERED', subject: 'Y', old: 'enum e { X = 1, Y = 2 };\n', new: 'enum e { X = 1, Y = 3 };\n', oldLine: 3, newLine: 3 },
  { code: 'ENUM_MEMBER_REMOVED', subject: 'Y', old: 'enum e { X, Y };\n', new: 'enum e { X };\n', oldLine: 3 },
  { code: 'ENUM_MEMBER_INSERTED', subject: 'N', old: 'enum e {\n\tA,\n\tB\n};\n', new: 'enum e {\n\tA,\n\tN,\n\tB\n};\n', newLine: 5 },
  { code: 'ENUM_MEMBER_ADDED', subject: 'C', old: 'enum e {\n\tA,\n\tB,\n\tE_NUM\n};\n', new: 'enum e {\n\tA,\n\tB,\n\tC,\n\tE_NUM\n};\n', newLine: 6 },
  { code: 'ENUM_COUNT_CHANGED', subject: 'E_NUM', old: 'enum e {\n\tA,\n\tB,\n\tE_NUM\n};\n', new: 'enum e {\n\tA,\n\tB,\n\tC,\n\tE_NUM\n};\n', oldLine: 6, newLine: 7 },
  { code: 'ENUM_ADDED', subject: 'enum f', old: '', new: 'enum f { F1, F2 };\n', newLine: 3 },
  { code: 'RECORD_REMOVED', subject: 'gone', old: 'struct gone { __u32 a; };\n', new: '', oldLine: 3 },
  { code: 'RECORD_ADDED', subject: 'fresh', old: '', new: 'struct fresh { __u32 a; };\n', newLine: 3 },
  { code: 'RECORD_SIZE_CHANGED', subject: 's', old: 'struct s { __u32 a; };\n', new: 'struct s { __u32 a; } __attribute__((aligned(8)));\n', oldLine: 3, newLine: 3 },
  { code: 'RECORD_ALIGN_CHANGED', subject: 's', old: 'struct s { __u32 a; };\n', new: 'struct s { __u32 a; } __attribute__((aligned(8)));\n', oldLine: 3, newLine: 3 },
  { code: 'FIELD_OFFSET_CHANGED', subject: 's.b', old: 'struct s { __u32 a; __u32 b; };\n', new: 'struct s { __u32 b; __u32 a; };\n', oldLine: 3, newLine: 3 },
  { code: 'FIELD_SIZE_CHANGED', subject: 's.a', old: 'struct s { __u64 x; __u32 a; };\n', new: 'struct s { __u64 x; __u64 a; };\n', oldLine: 3, newLine: 3 },
  { code: 'FIELD_TYPE_CHANGED', subject: 's.a', old: 'struct s { __u32 a; };\n', new: 'struct s { __s32 a; };\n', oldLine: 3, newLine: 3 },
  { code: 'FIELD_REMOVED', subject: 's.b', old: 'struct s { __u32 a; __u16 b; __u16 c; };\n', new: 'struct s { __u32 a; __u32 c; };\n', oldLine: 3, newLine: 3 },
  { code: 'FIELD_RENAMED', subject: 's.count', old: 'struct s { __u32 count; };\n', new: 'struct s { __u32 total; };\n', oldLine: 3, newLine: 3 },
  { code: 'RESERVED_FIELD_USED', subject: 's.mode', old: 'struct s { __u32 a; __u32 reserved; };\n', new: 'struct s { __u32 a; __u32 mode; };\n', oldLine: 3, newLine: 3 },
  {
    code: 'FIELD_APPENDED_EXTENSIBLE', subject: 'x.size',
    old: '/**\n * X_GET - _IOWR(\'X\', 1, struct x)\n */\nstruct x { __u32 argsz; __u32 flags; };\n#define X_GET _IO(\'X\', 1)\n',
    new: '/**\n * X_GET - _IOWR(\'X\', 1, struct x)\n */\nstruct x { __u32 argsz; __u32 flags; __u64 size; };\n#define X_GET _IO(\'X\', 1)\n', oldLine: 6, newLine: 6,
  },
  { code: 'FIELD_APPENDED_SIZE_ENCODED', subject: 'x.size', old: 'struct x { __u32 argsz; __u32 flags; };\n#define X_SET _IOW(\'X\', 2, struct x)\n', new: 'struct x { __u32 argsz; __u32 flags; __u64 size; };\n#define X_SET _IOW(\'X\', 2, struct x)\n', oldLine: 3, newLine: 3 },
  { code: 'FIELD_ADDED', subject: 's.b', old: 'struct s { __u32 a; };\n', new: 'struct s { __u32 a; __u32 b; };\n', oldLine: 3, newLine: 3 },
  { code: 'IOCTL_NUMBER_CHANGED', subject: 'X_SET', old: 'struct x { __u32 argsz; __u32 flags; };\n#define X_SET _IOW(\'X\', 2, struct x)\n', new: 'struct x { __u32 argsz; __u32 flags; __u64 size; };\n#define X_SET _IOW(\'X\', 2, struct x)\n', oldLine: 4, newLine: 4 },
  { code: 'IOCTL_ARG_TYPE_CHANGED', subject: 'X_SET', old: 'struct a { __u32 v; };\nstruct b { __s32 w; };\n#define X_SET _IOW(\'X\', 2, struct a)\n', new: 'struct a { __u32 v; };\nstruct b { __s32 w; };\n#define X_SET _IOW(\'X\', 2, struct b)\n', oldLine: 5, newLine: 5 },
  { code: 'IOCTL_REMOVED', subject: 'X_GO', old: '#define X_GO _IO(\'X\', 3)\n', new: '', oldLine: 3 },
  { code: 'IOCTL_ADDED', subject: 'X_GO', old: '', new: '#define X_GO _IO(\'X\', 3)\n', newLine: 3 },
  { code: 'LAYOUT_DIVERGED_ACROSS_ABIS', subject: 's', old: 'struct s { __u32 a; __aligned_u64 b; };\n', new: 'struct s { __u32 a; __u64 b; };\n', oldLine: 3, newLine: 3 },
  { code: 'CAPABILITY_ID_REUSED', subject: 'DEV_INFO_CAP_B', old: CAP(''), new: CAP('#define DEV_INFO_CAP_B 1\nstruct dev_info_cap_b { struct dev_cap_header header; __u64 y; };\n').replace('#define DEV_INFO_CAP_A 1\nstruct dev_info_cap_a { struct dev_cap_header header; __u32 x; };\n', ''), oldLine: 5, newLine: 5 },
  { code: 'CAPABILITY_ADDED', subject: 'DEV_INFO_CAP_B', old: CAP(''), new: CAP('#define DEV_INFO_CAP_B 2\nstruct dev_info_cap_b { struct dev_cap_header header; __u64 y; };\n'), newLine: 7 },
  { code: 'API_STRING_CHANGED', subject: 'D_API_PCI_STRING', old: '#define D_API_PCI_STRING "d-pci"\n', new: '#define D_API_PCI_STRING "d-pcie"\n', oldLine: 3, newLine: 3 },
  { code: 'API_STRING_REMOVED', subject: 'D_API_AP_STRING', old: '#define D_API_PCI_STRING "d-pci"\n#define D_API_AP_STRING "d-ap"\n', new: '#define D_API_PCI_STRING "d-pci"\n', oldLine: 4 },
  { code: 'API_STRING_ADDED', subject: 'D_API_AP_STRING', old: '#define D_API_PCI_STRING "d-pci"\n', new: '#define D_API_PCI_STRING "d-pci"\n#define D_API_AP_STRING "d-ap"\n', newLine: 4 },
];

d('every change class has a case', () => {
  const covered = new Set(CASES.map((c) => c.code));
  assert.equal(Object.keys(CHANGE_CLASSES).filter((c) => !covered.has(c as ChangeCode)), []);
});

for (const c of CASES) {
  d(`${c.code}: ${CHANGE_CLASSES[c.code].severity}`, () => {
    const all = diff(c.old, c.new);
    const f = all.find((x) => x.code === c.code && x.subject === c.subject);
    assert.ok(f, `no ${c.code} for ${c.subject}; got ${all.map((x) => `${x.code} ${x.subject}`).join(', ')}`);
    assert.is(f!.severity, CHANGE_CLASSES[c.code].severity);
    assert.is(f!.old?.line, c.oldLine, 'old location');
    assert.is(f!.new?.line, c.newLine, 'new location');
    if (f!.old) assert.is(f!.old.file, 't.h');
    assert.equal(diff(c.old, c.old), [], 'old vs old');
    assert.equal(diff(c.new, c.new), [], 'new vs new');
  });
}

d('two headers of different names are one header: a constant renamed is CONSTANT_RENAMED, not removed and added', () => {
  const dir = writeTree({ 'vfio.h.orig': '#define X_FOO 1\n#define X_ZAP 2\n', 'vfio.h': '#define X_BAR 1\n#define X_ZAP 2\n' });
  const found = diffPairs(pairsOf(join(dir, 'vfio.h.orig'), join(dir, 'vfio.h'), []), ['x86_64'], 'old', 'new').findings;
  assert.equal(found.map((f) => [f.code, f.subject, f.old?.file, f.new?.file]), [['CONSTANT_RENAMED', 'X_FOO', 'vfio.h.orig', 'vfio.h']]);
});

d('trees: a symbolic link back up the tree is walked once; a dangling one is a clear error', () => {
  const dir = writeTree({ 'old/sub/t.h': `${H}#define A 1\n`, 'new/sub/t.h': `${H}#define A 2\n` });
  symlinkSync('..', join(dir, 'old', 'sub', 'up'));
  const findings = diffPairs(pairsOf(join(dir, 'old'), join(dir, 'new'), []), ['x86_64'], 'old', 'new').findings;
  assert.equal(findings.map((f) => `${f.code} ${f.subject}`), ['CONSTANT_VALUE_CHANGED A']);
  symlinkSync(join(dir, 'nowhere'), join(dir, 'new', 'sub', 'gone.h'));
  try {
    pairsOf(join(dir, 'old'), join(dir, 'new'), []);
    assert.unreachable('a dangling link was walked past');
  } catch (e) {
    if (!(e instanceof DiagnosticError)) throw e;
    assert.match(e.diagnostics[0].message, /gone\.h: cannot be read \(ENOENT\)/);
  }
});

d('families an override describes: a bit number added is read as its bit, a value as a value', () => {
  const header = (extra: string) => `struct s {\n\tunsigned int flags;\n#define S_F_LOG 0\n${extra.split('|')[0]}\tunsigned int kind;\n#define S_KIND_A 1\n#define S_KIND_B 2\n${extra.split('|')[1] ?? ''}};\n`;
  const overrides = { flagFamilies: [{ record: 's', field: 'flags', prefix: 'S_F_', encoding: 'bit-numbers' as const }, { record: 's', field: 'kind', prefix: 'S_KIND_', encoding: 'values' as const }] };
  const findings = (extra: string) => compareModels(modelOf(header('|'), 'x86_64', { overrides }), modelOf(header(extra), 'x86_64', { overrides })).map((f) => `${f.code} ${f.message}`);
  // Bit number 1 sets 0x2, clear of S_F_LOG's 0x1 (as a value, 1 would be LOG's bit).
  assert.equal(findings('#define S_F_DIRTY 1\n|'), ['FLAG_ADDED S_F_DIRTY = bit 1 (0x2) in a free bit of s.flags']);
  assert.equal(findings('#define S_F_AGAIN 0\n|'), ['FLAG_BIT_COLLISION S_F_AGAIN = bit 0 (0x1) in s.flags uses the bits of S_F_LOG = bit 0 (0x1)']);
  // Value 3 shares bits with 1 and 2 but is a value of its own; 2 again is a collision.
  assert.equal(findings('|#define S_KIND_C 3\n'), ['FLAG_ADDED S_KIND_C = 0x3 in an unused value of s.kind']);
  assert.equal(findings('|#define S_KIND_D 2\n'), ['FLAG_BIT_COLLISION S_KIND_D = 0x2 in s.kind uses the value of S_KIND_B = 0x2']);
});

d('a family of values with a flag beside them: a new value is checked against the values, a new flag against every bit', () => {
  const header = (extra: string) => `struct s {\n\tunsigned int kind;\n#define S_KIND_A 1\n#define S_KIND_B 2\n#define S_KIND_C 3\n#define S_KIND_MARK 0x80\n${extra}};\n`;
  const findings = (extra: string) => compareModels(modelOf(header(''), 'x86_64'), modelOf(header(extra), 'x86_64')).map((f) => `${f.code} ${f.message}`);
  assert.equal(findings('#define S_KIND_D 4\n'), ['FLAG_ADDED S_KIND_D = 0x4 in an unused value of s.kind']);
  assert.equal(findings('#define S_KIND_E 0x80\n'), ['FLAG_BIT_COLLISION S_KIND_E = 0x80 in s.kind uses the bits of S_KIND_MARK = 0x80']);
  assert.equal(findings('#define S_KIND_G 0x3\n'), ['FLAG_BIT_COLLISION S_KIND_G = 0x3 in s.kind uses the value of S_KIND_C = 0x3']);
  assert.equal(findings('#define S_KIND_F 0x100\n'), ['FLAG_ADDED S_KIND_F = 0x100 in a free bit of s.kind']);
});

d.run();
