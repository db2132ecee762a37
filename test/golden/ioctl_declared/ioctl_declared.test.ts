import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { DEMO_GET_INFO, DEMO_SET_MODE, demo_info, ioctl_declared_ioctls } from './expected/ioctl_declared.js';
import { u64 } from '../../../runtime/codegen-v1.js';

const t = suite('golden: an ioctl with a doc-declared argument');
t('encoded form from the number, declared form from the comment, argument codec from either', () => {
  const get = ioctl_declared_ioctls.DEMO_GET_INFO;
  assert.is(get.request, DEMO_GET_INFO);
  assert.equal([get.direction, get.type, get.nr, get.size], ['none', 'D'.charCodeAt(0), 1, 0]);
  assert.equal(get.declared, { macro: '_IOWR', direction: 'read-write', argType: 'struct demo_info' });
  assert.is(get.arg, demo_info);
  const set = ioctl_declared_ioctls.DEMO_SET_MODE;
  assert.is(set.request, DEMO_SET_MODE);
  assert.equal([set.direction, set.nr, set.size], ['write', 2, 8]);
  assert.is(set.arg, u64);
  assert.is(set.declared, undefined);
  // The number's fields, put back together as asm-generic/ioctl.h lays them out.
  assert.is(DEMO_SET_MODE, (1 << 30) | (8 << 16) | ('D'.charCodeAt(0) << 8) | 2);
});
t.run();
