import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { demo_aligned, demo_big, demo_packed, demo_u64, packed_aligned_i386_layouts } from './expected/packed_aligned.js';

const t = suite('golden: packed and aligned');
t('packed removes padding, aligned adds it, and the i386 table holds what differs there', () => {
  assert.equal([demo_packed.size, demo_packed.offsetOf('b'), demo_packed.offsetOf('c')], [7, 1, 5]);
  assert.equal([demo_aligned.size, demo_aligned.offsetOf('b')], [16, 8]);
  assert.equal([demo_big.size, demo_big.align], [16, 16]);
  assert.equal([demo_u64.size, demo_u64.offsetOf('b')], [16, 8]);
  assert.equal(packed_aligned_i386_layouts.demo_u64, { size: 12, align: 4, offsets: { a: 0, b: 4 } });
  assert.not.ok('demo_aligned' in packed_aligned_i386_layouts, '__aligned_u64 is the same on both');
});
t.run();
