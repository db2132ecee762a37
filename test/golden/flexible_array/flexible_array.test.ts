import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { demo_areas } from './expected/flexible_array.js';
import { CodecError } from '../../../runtime/codegen-v1.js';

const t = suite('golden: a flexible array member');
t('the sibling count decodes the elements; toBytes grows to hold them; short buffers are errors', () => {
  assert.is(demo_areas.size, 8);
  assert.equal(demo_areas.fields.areas.flexible, { countField: 'nr_areas' });
  const bytes = demo_areas.toBytes({ nr_areas: 2, reserved: 0, areas: [{ offset: 0n, size: 4096n }, { offset: 8192n, size: 4096n }] });
  assert.is(bytes.length, 8 + 2 * 16);
  const v = demo_areas.fromBytes(bytes);
  assert.is(v.areas[1].offset, 8192n);
  assert.is(demo_areas.fromBytes(bytes, { counts: { areas: 1 } }).areas.length, 1);
  assert.throws(() => demo_areas.fromBytes(bytes.subarray(0, 20)), (e: unknown) => e instanceof CodecError && /run past/.test((e as Error).message));
});
t.run();
