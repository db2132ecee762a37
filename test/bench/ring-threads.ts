// The ring bench's two-thread table: the split ring with the driver in this thread and the device
// in a worker (ring-worker.ts), one-descriptor chains as in the same-thread table, against
// ring.c's `threads` mode (the device in a pthread) in the same run. Both sides poll: the
// runtime's worker for up to WORKER_POLL_US before it sleeps, the driver here likewise, ring.c's
// threads without ever sleeping. Figures, never asserted: the target is for one thread.
import { Worker } from 'node:worker_threads';
import { once } from 'node:events';
import { DmaArena, ringIovas } from '../helpers/rings.js';
import { BUFFER } from './ring-cases.js';
import { absoluteNow, countGcs } from './gc-count.js';
import type { RingWorkerData } from './ring-worker.js';
import { WORKER_POLL_US, WORKER_WAIT_MS } from '../../runtime/policy.js';
import { SplitQueueDriver } from '../../runtime/virtio/driver-queue.js';
import { pollWhile } from '../../runtime/virtio/poll.js';
import { irqSlot, KICK_SLOT, newControl, signal, STOP_SLOT } from '../../runtime/virtio/thread-control.js';

/** Waits with no progress past this long mean the device thread stalled. */
const STALL_MS = 5000;

export interface ThreadsFigure {
  /** Descriptors per second. */
  rate: number;
  /** Garbage collections over the timed stretch in the driver's thread and in the device's. */
  driverGcs: number;
  deviceGcs: number;
}

/** `total` one-descriptor chains through a ring of `num` whose device is a worker thread, `batch` a kick, after a tenth as many untimed. */
export async function ringThreadsRate(num: number, batch: number, total: number, pollMicros = WORKER_POLL_US): Promise<ThreadsFigure> {
  const arena = new DmaArena(1 << 20);
  const spans = arena.rings(num);
  const driver = new SplitQueueDriver<number>(num, spans, true);
  const control = newControl();
  // Until the driver says when timing began, no collection of the device's counts.
  const timedFrom = new Float64Array(new SharedArrayBuffer(Float64Array.BYTES_PER_ELEMENT)).fill(Infinity);
  const workerData: RingWorkerData = { memory: arena.mem.buffer as SharedArrayBuffer, control, num, ring: ringIovas(spans), pollMicros, timedFrom };
  const worker = new Worker(new URL('./ring-worker.js', import.meta.url), { workerData });
  try {
    const [ready] = (await once(worker, 'message')) as [{ broken?: string }];
    if (ready.broken) throw new Error(`the device refused the ring: ${ready.broken}`);
    const buf = arena.alloc(BUFFER);
    const refs = Array.from({ length: batch }, () => ({ iova: Number(buf.iova), length: BUFFER }));
    const heads = new Uint16Array(num);
    const lengths = new Uint32Array(num);
    const irq = irqSlot(0);
    const warmUp = Math.ceil(total / 10 / batch) * batch;
    let done = 0;
    let t0 = 0;
    let gcs: ReturnType<typeof countGcs> | undefined;
    while (done < total + warmUp) {
      if (done === warmUp) {
        t0 = performance.now();
        gcs = countGcs();
        // Read by the device thread after the stop below, which Atomics orders after this store.
        timedFrom[0] = absoluteNow();
      }
      if (driver.addBurst(refs, false) !== batch) throw new Error('the ring had no room for a batch');
      driver.publish();
      if (driver.shouldKick()) signal(control, KICK_SLOT);
      for (let got = 0, stalled = 0; got < batch; ) {
        const seen = Atomics.load(control, irq);
        got += driver.popUsedBurst(heads, lengths);
        if (got >= batch) break;
        // The interrupt asked for at the batch's last entry, and the ring read again after asking.
        driver.setInterrupts(true, batch - got);
        if (driver.usedWaiting() > 0) continue;
        if (pollWhile(control, irq, seen, pollMicros)) continue;
        if (Atomics.wait(control, irq, seen, WORKER_WAIT_MS) === 'timed-out' && (stalled += WORKER_WAIT_MS) >= STALL_MS) {
          throw new Error(`the device thread answered ${got} of ${batch} in ${STALL_MS} ms`);
        }
      }
      done += batch;
    }
    const rate = total / ((performance.now() - t0) / 1000);
    const driverGcs = (await gcs?.stop()) ?? NaN;
    Atomics.store(control, STOP_SLOT, 1);
    signal(control, KICK_SLOT);
    const [end] = (await once(worker, 'message')) as [{ short: number; broken?: string; gcs: number }];
    if (end.broken) throw new Error(`the device broke the ring: ${end.broken}`);
    if (end.short !== 0) throw new Error(`the device read ${end.short} bytes short of ${BUFFER} a descriptor`);
    return { rate, driverGcs, deviceGcs: end.gcs };
  } finally {
    await worker.terminate();
  }
}
