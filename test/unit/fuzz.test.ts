// A short run of the header fuzzer inside `npm test`; `npm run fuzz` runs 10,000 cases.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { fuzz, report } from '../fuzz/header-mutations.js';

const fz = suite('fuzz (short)');

fz('300 mutated headers each end in a model or a located diagnostic, none hangs', async () => {
  const s = await fuzz(300, 7);
  assert.is(s.failures.length, 0, report(s, 7));
  assert.ok(s.counts.model > 0 && s.counts.diagnostic > 0, report(s, 7));
});

fz.run();
