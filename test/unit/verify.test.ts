// The model against gcc: the whole virtualization family on both ABIs, and proof that a
// wrong model is caught.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { buildModel } from '../../generator/pipeline.js';
import { verifyModel } from '../../generator/verify/verify.js';
import { overridesFor } from '../../generator/manifest.js';
import { modelOf, writeTree } from '../helpers/model.js';
import { join } from 'node:path';

const ver = suite('verify against gcc');

const FAMILY = ['vfio.h', 'vfio_ccw.h', 'vfio_zdev.h', 'vhost.h', 'vhost_types.h', 'vduse.h', 'virtio_ring.h', 'virtio_config.h',
  'virtio_ids.h', 'virtio_net.h', 'virtio_blk.h', 'virtio_pci.h', 'virtio_types.h', 'kvm.h', 'input.h'].map((h) => `linux/${h}`);

for (const abi of ['x86_64', 'i386'] as const) {
  ver(`the virtualization family verifies on ${abi}`, () => {
    let checks = 0;
    for (const h of FAMILY) {
      const model = buildModel([h], { abi, overrides: overridesFor([h]) });
      const r = verifyModel(model, [h], []);
      assert.ok(r.ok, r.text);
      checks += r.checked.constant + r.checked.offset + r.checked.size;
    }
    assert.ok(checks > 2000, `only ${checks} checks`);
  });
}

ver('a wrong constant, size, offset or bit-field is reported with gcc\'s own value', () => {
  const dir = writeTree({ 'w.h': 'struct s { char c; int i; unsigned b : 3; };\n#define K (1 << 4)\n' });
  const h = join(dir, 'w.h');
  const m = buildModel([h], { abi: 'x86_64' });
  m.constants[0].value = 17n;
  const layout = m.records[0].layout;
  layout.size = 99;
  layout.fields[1].offset = 2;
  layout.fields[2].bitOffset = 5;
  const r = verifyModel(m, [h], []);
  assert.not.ok(r.ok);
  const text = r.text;
  assert.match(text, /mismatch: K: model int 17, gcc int 16/);
  assert.match(text, /mismatch: sizeof\(struct s\): model 99, gcc unsigned long 12/);
  assert.match(text, /mismatch: offsetof\(struct s, i\): model 2, gcc unsigned long 4/);
  assert.match(text, /mismatch: struct s\.b: model bit 5 width 3, gcc bit 64 width 3/);
});

ver('a constant of the wrong C type is caught even when the value matches', () => {
  const dir = writeTree({ 't.h': '#define U 5u\n' });
  const m = buildModel([join(dir, 't.h')], { abi: 'x86_64' });
  m.constants[0].type = 'int';
  const r = verifyModel(m, [join(dir, 't.h')], []);
  assert.match(r.text, /mismatch: U: model int 5, gcc unsigned int 5/);
  void modelOf;
});

ver('character constants and string literals of every prefix verify against gcc on both ABIs', () => {
  const header = [
    "#define C1 L'a'", "#define C2 (u'x' + U'y')", "#define C3 L'\\xffffffff'", "#define C4 '\\377'", "#define C5 ('ab')",
    '#define S1 "ab\\xff"', '#define S2 L"x\\u00e9"', '#define S3 u"\u00e9" "z"', '#define S4 U"ab"', '#define S5 u8"\\xe9"', '#define S6 "a" L"b"',
    '#define Z1 sizeof(L"ab")', '#define Z2 sizeof(u8"\\xe9")', '',
  ].join('\n');
  const dir = writeTree({ 's.h': header });
  const h = join(dir, 's.h');
  for (const abi of ['x86_64', 'i386'] as const) {
    const r = verifyModel(buildModel([h], { abi }), [h], []);
    assert.ok(r.ok, r.text);
    assert.equal([r.checked.constant, r.checked.string], [7, 6], r.text);
  }
});

ver('a string constant of the wrong size or unit type is caught', () => {
  const dir = writeTree({ 's.h': '#define S L"ab"\n#define T "\\xff"\n' });
  const h = join(dir, 's.h');
  const m = buildModel([h], { abi: 'i386' });
  m.constants[0].type = 'int[3]'; // the right size on i386, where wchar_t is long
  m.constants[1].type = 'char[4]';
  const r = verifyModel(m, [h], []);
  assert.match(r.text, /mismatch: S: model int\[3\] of 12 bytes, gcc 12 bytes/);
  assert.match(r.text, /mismatch: T: model char\[4\] of 4 bytes, gcc 2 bytes/);
});

ver('a string constant whose bytes differ from gcc\'s is caught, with both byte lists', () => {
  const dir = writeTree({ 's.h': '#define S "a\\xff"\n#define W L"\\u20ac"\n' });
  const h = join(dir, 's.h');
  const m = buildModel([h], { abi: 'x86_64' });
  assert.equal(m.constants.map((c) => c.units), [[0x61, 0xff], [0x20ac]], 'the model keeps the units, not only their text');
  assert.ok(verifyModel(m, [h], []).ok, 'as read, both agree with gcc');
  m.constants[0].units = [0x61, 0xfe];
  m.constants[1].units = [0x20ad];
  const r = verifyModel(m, [h], []);
  assert.match(r.text, /mismatch: S: model bytes 61 fe 00, gcc bytes 61 ff 00/);
  assert.match(r.text, /mismatch: W: model bytes ad 20 00 00 00 00 00 00, gcc bytes ac 20 00 00 00 00 00 00/);
});

ver.run();
