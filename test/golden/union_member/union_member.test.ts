import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { demo_op } from './expected/union_member.js';

const t = suite('golden: a union member');
t('members overlap: what one writes, the others read', () => {
  assert.is(demo_op.offsetOf('payload'), 16);
  const bytes = demo_op.toBytes({ request: 0x4008af00n, flags: 1, size: 8, payload: { state: { index: 1, num: 256 } } });
  const v = demo_op.fromBytes(bytes);
  assert.equal(v.payload.state, { index: 1, num: 256 });
  assert.is(v.payload.u64, (256n << 32n) | 1n);
});
t.run();
