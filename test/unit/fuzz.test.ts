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

const rings = suite('fuzz rings (short)');

rings('20,000 random ring states: chains or a broken queue, never an exception or an unbounded pop; through many mappings, every piece in one', async () => {
  const { fuzzRings, ringReport } = await import('../fuzz/rings.js');
  const r = fuzzRings(20_000, 11);
  assert.equal(r.failures, [], ringReport(r));
  assert.ok(r.chains > 1000 && r.clean > 100 && r.cases - r.clean > 1000, ringReport(r));
  assert.ok(r.fragmented === 5_000 && r.split > 10, ringReport(r));
});

rings('device models under fuzz: 4,000 random ring states and 4,000 well-formed rings of random requests and frames, every chain back or a queue broken, every answer one a driver accepts', async () => {
  const { fuzzDevices, fuzzDeviceRequests, deviceReport } = await import('../fuzz/device-models.js');
  const d = fuzzDevices(4_000, 5);
  assert.equal(d.failures, [], deviceReport(d, 'random ring states'));
  assert.ok(d.requests > 100 && d.frames > 10 && d.broken > 1000, deviceReport(d, 'random ring states'));
  const q = fuzzDeviceRequests(4_000, 5);
  assert.equal(q.failures, [], deviceReport(q, 'well-formed rings'));
  assert.ok(q.requests > 5000 && q.frames > 5000 && q.broken === 0, deviceReport(q, 'well-formed rings'));
});

rings('the driver side against 4,000 hostile used rings: only chains in flight taken, each once, the free list whole', async () => {
  const { fuzzDriver, driverReport } = await import('../fuzz/driver.js');
  const v = fuzzDriver(4_000, 5);
  assert.equal(v.failures, [], driverReport(v));
  assert.ok(v.collected > 1000 && v.refused > 1000, driverReport(v));
});

rings('2,000 random interleavings of kick and interrupt decisions, 40 with a stretch of tens of thousands of chains unasked: every one owed given, none the rule does not ask for', async () => {
  const { fuzzNotifications, notificationReport } = await import('../fuzz/notifications.js');
  const n = fuzzNotifications(2_000, 1);
  assert.equal(n.failures, [], notificationReport(n));
  assert.ok(n.longStretches >= 30 && n.kicks.yes > 1000 && n.interrupts.yes > 1000 && n.kicks.asked - n.kicks.yes > 1000, notificationReport(n));
});

rings.run();
