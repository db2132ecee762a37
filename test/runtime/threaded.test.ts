// ThreadedDevice's own contract: what start() refuses, and why. The datapath through a device
// in a worker thread (net loopback and block RAM disk, polling and sleeping) is tested by the
// same tests as in this thread: test/runtime/datapath.test.ts.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { splitSizes } from '../../runtime/virtio/split-layout.js';
import { ThreadedDevice } from '../../runtime/virtio/threaded-device.js';
import { DmaArena } from '../helpers/rings.js';

const t = suite('worker-thread device');

t('a ring the device refuses ends start() with its reason', async () => {
  const arena = new DmaArena(1 << 16);
  const s = splitSizes(8);
  const ring = { desc: arena.alloc(s.desc), avail: arena.alloc(s.avail), used: arena.alloc(s.used) };
  const misaligned = { desc: ring.desc.iova + 2n, avail: ring.avail.iova, used: ring.used.iova };
  await ThreadedDevice.start('block', { memory: arena.mem.buffer as SharedArrayBuffer, num: 8, eventIdx: false, capacitySectors: 8n, rings: [misaligned], budget: 8 }).then(
    () => assert.unreachable('a misaligned descriptor table was taken'),
    (e: unknown) => assert.match(String(e), /device thread refused the rings: .*aligned/),
  );
});

t('a poll time that is not a finite number of microseconds is refused before a thread starts', async () => {
  const arena = new DmaArena(1 << 16);
  for (const pollMicros of [NaN, -1, Infinity]) {
    const started = ThreadedDevice.start('block', { memory: arena.mem.buffer as SharedArrayBuffer, num: 8, eventIdx: false, capacitySectors: 8n, rings: [], budget: 8, pollMicros });
    await started.then(
      () => assert.unreachable(`pollMicros ${pollMicros} was taken`),
      (e: unknown) => assert.ok(e instanceof RangeError && e.message.includes(`pollMicros ${pollMicros}`), String(e)),
    );
  }
});

t.run();
