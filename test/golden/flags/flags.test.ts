import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { DEMO_INFO_FLAG, DEMO_INFO_FLAG_READ, DEMO_INFO_FLAG_WRITE, demo_info } from './expected/flags.js';

const t = suite('golden: flags bound to a field');
t('the family knows its members, their kinds, and the field it types', () => {
  assert.is(DEMO_INFO_FLAG.family, 'demo_info.flags');
  assert.equal(DEMO_INFO_FLAG.kinds, { READ: 'bit', WRITE: 'bit', MASK: 'mask' });
  const v = demo_info.zero();
  v.flags = DEMO_INFO_FLAG.of(DEMO_INFO_FLAG_READ, DEMO_INFO_FLAG_WRITE);
  const again = demo_info.fromBytes(demo_info.toBytes(v));
  assert.equal(DEMO_INFO_FLAG.decode(again.flags), { names: ['READ', 'WRITE'], unknown: 0 });
  assert.equal(DEMO_INFO_FLAG.decode(0x81), { names: ['READ'], unknown: 0x80 });
  assert.throws(() => DEMO_INFO_FLAG.encode(['READ', 'EXEC' as 'READ']), /no flag named EXEC/);
});
t.run();
