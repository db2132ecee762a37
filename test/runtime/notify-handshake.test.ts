// Kick suppression across threads (SplitQueueDevice.setNotifications with the driver's
// shouldKick): a device thread that polls with kicks off and sleeps only after turning them on
// and looking once more misses no chain, under the flag and under event idx, while the driver
// kicks far less often than it publishes. A lost wake-up shows as the device thread's stall.
import { Worker } from 'node:worker_threads';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { SplitQueueDriver } from '../../runtime/virtio/driver-queue.js';
import { DmaArena, ringIovas } from '../helpers/rings.js';
import { INTERRUPTS, KICKS, type NotifyWorkerData } from '../helpers/notify-worker.js';

const h = suite('kick suppression across threads');
const NUM = 64;
const TOTAL = 100_000;
const STALL_MS = 2000;

for (const eventIdx of [false, true]) {
  h(`${eventIdx ? 'event idx' : 'NO_NOTIFY'}: ${TOTAL.toLocaleString('en')} chains, none missed, fewer kicks than publishes`, async () => {
    const arena = new DmaArena(1 << 20);
    const ring = arena.rings(NUM);
    const buf = arena.alloc(64);
    const control = new Int32Array(new SharedArrayBuffer(2 * Int32Array.BYTES_PER_ELEMENT));
    const data: NotifyWorkerData = { memory: arena.mem.buffer as SharedArrayBuffer, control, num: NUM, eventIdx, ring: ringIovas(ring), total: TOTAL, stallMs: STALL_MS };
    const worker = new Worker(new URL('../helpers/notify-worker.js', import.meta.url), { workerData: data });
    const answer = new Promise<{ served: number; sleeps: number; stalled: boolean; broken?: string }>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    const driver = new SplitQueueDriver<number>(NUM, ring, eventIdx);
    const one = [{ iova: buf.iova, length: 64 }];
    const heads = new Uint16Array(NUM);
    const lengths = new Uint32Array(NUM);
    let added = 0;
    let collected = 0;
    let publishes = 0;
    let kicks = 0;
    let seed = 7;
    while (collected < TOTAL) {
      // Bursts of 1 to 8 chains, as a driver's traffic comes; collect whatever is used.
      seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
      const burst = Math.min(1 + (seed >>> 29), driver.free, TOTAL - added);
      for (let k = 0; k < burst; k++) driver.add(one, []);
      added += burst;
      if (burst > 0) {
        driver.publish();
        publishes++;
        if (driver.shouldKick()) {
          kicks++;
          Atomics.add(control, KICKS, 1);
          Atomics.notify(control, KICKS);
        }
      }
      const seen = Atomics.load(control, INTERRUPTS);
      const got = driver.popUsedBurst(heads, lengths);
      collected += got;
      // Nothing to add and nothing used: wait for the device, bounded, as a stall is what this looks for.
      if (got === 0 && (driver.free === 0 || added === TOTAL) && Atomics.wait(control, INTERRUPTS, seen, STALL_MS) === 'timed-out' && driver.usedWaiting() === 0) break;
    }
    const result = await answer;
    await worker.terminate();
    assert.is(result.broken, undefined);
    assert.is(result.stalled, false, 'the device thread slept with a chain waiting and no kick coming');
    assert.is(result.served, TOTAL);
    assert.is(collected, TOTAL);
    assert.ok(kicks < publishes, `${kicks} kicks for ${publishes} publishes: kicks were not suppressed while the device polled`);
    assert.ok(result.sleeps > 0, 'the device never slept: the handshake was not run');
  });
}

h.run();
