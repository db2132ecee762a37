import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { demo_bits } from './expected/bitfield.js';

const t = suite('golden: bit-fields');
t('each field lands in the bits gcc gives it; signed ones sign-extend', () => {
  assert.equal([demo_bits.fields.version.bitOffset, demo_bits.fields.ihl.bitOffset, demo_bits.fields.frag.bitOffset, demo_bits.fields.level.bitOffset], [0, 4, 16, 29]);
  const bytes = demo_bits.toBytes({ version: 4, ihl: 5, frag: 0x1abc, level: -2, rest: 7 });
  // frag takes bits 16..28; level (-2 = 0b110) fits the rest of that byte, bits 29..31.
  assert.equal([...bytes.subarray(0, 5)], [0x54, 0x00, 0xbc, 0xda, 0x07]);
  assert.equal(demo_bits.fromBytes(bytes), { version: 4, ihl: 5, frag: 0x1abc, level: -2, rest: 7 });
});
t.run();
