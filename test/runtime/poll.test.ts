// pollWhile: the bounded busy-poll both sides of a worker-thread device run before they sleep.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Worker } from 'node:worker_threads';
import { pollWhile } from '../../runtime/virtio/poll.js';

const t = suite('poll before sleep');

t('a word that already moved answers at once, even with no time to poll', () => {
  const words = new Int32Array(new SharedArrayBuffer(8));
  words[1] = 5;
  assert.ok(pollWhile(words, 1, 4, 0));
  assert.ok(pollWhile(words, 1, 4, 1000));
});

t('a word that never moves answers false when the time is up, not never', () => {
  const words = new Int32Array(new SharedArrayBuffer(8));
  assert.not.ok(pollWhile(words, 0, 0, 0));
  assert.not.ok(pollWhile(words, 0, 0, 2000));
  assert.not.ok(pollWhile(words, 0, 0, -1), 'a negative time polls not at all');
  assert.not.ok(pollWhile(words, 0, 0, NaN), 'nor does a time that is not a number');
});

t("another thread's store is seen while this one polls", async () => {
  const words = new Int32Array(new SharedArrayBuffer(8));
  const worker = new Worker(`const { workerData } = require('node:worker_threads'); Atomics.store(workerData, 1, 7);`, {
    eval: true,
    workerData: words,
  });
  // This thread is blocked while it polls: the store can only come from the worker, which
  // runs beside it. Ten seconds bounds the test if the worker never starts.
  assert.ok(pollWhile(words, 1, 0, 10_000_000), 'the store was not seen within ten seconds');
  assert.is(Atomics.load(words, 1), 7);
  await worker.terminate();
});

t.run();
