// pollWhile: the bounded busy-poll both sides of a worker-thread device run before they sleep.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Worker } from 'node:worker_threads';
import { pollFor, pollWhile } from '../../runtime/virtio/poll.js';
import { withGcCount } from '../bench/gc-count.js';

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

// At batch 1 every descriptor is a wait on each side: a poll that allocated per call (a closure
// for the look, a clock read as it starts) was garbage per descriptor, 24 collections per 200,000
// descriptors in the two-thread ring bench. Collections are counted, not time: 4,000,000 polls
// that each allocated 16 bytes or more would fill the young generation (16 MiB at most) four times.
const POLLS = 4_000_000;

t(`${POLLS.toLocaleString('en')} polls that end within their first round of looks collect nothing`, async () => {
  const words = new Int32Array(new SharedArrayBuffer(8));
  words[1] = 5;
  const counter = await withGcCount(() => {
    let moved = 0;
    for (let k = 0; k < POLLS; k++) if (pollWhile(words, 1, 4, 50)) moved++;
    return moved;
  });
  assert.is(counter.result, POLLS);
  let looks = 0;
  // Found at its third look: a wait shorter than a round of looks reads no clock.
  const thirdLook = () => ++looks % 3 === 0;
  const rounds = await withGcCount(() => {
    let found = 0;
    for (let k = 0; k < POLLS; k++) if (pollFor(thirdLook, 50)) found++;
    return found;
  });
  assert.is(rounds.result, POLLS);
  assert.ok(counter.gcs <= 1, `pollWhile: ${counter.gcs} collections`);
  assert.ok(rounds.gcs <= 1, `pollFor: ${rounds.gcs} collections`);
});

t.run();
