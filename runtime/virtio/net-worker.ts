// The device thread of the threaded net loopback: the same SplitQueueDevice and NetLoopback as
// in-process, over the process memory the driver shares, woken by kicks and answering with
// interrupts, until told to stop.
import { parentPort, workerData } from 'node:worker_threads';
import { WORKER_WAIT_MS } from '../policy.js';
import { DmaView, SplitQueueDevice } from './device-queue.js';
import { NetLoopback } from './net-loopback.js';
import { irqSlot, slot } from './thread-control.js';

export interface NetWorkerData {
  memory: SharedArrayBuffer;
  control: Int32Array;
  num: number;
  eventIdx: boolean;
  features: bigint;
  /** Ring addresses of queue 0 (RX) and queue 1 (TX), as offsets in `memory` (IOVA = offset). */
  rings: { desc: bigint; avail: bigint; used: bigint }[];
  budget: number;
}

const data = workerData as NetWorkerData;
const mem = new Uint8Array(data.memory);
const dma: DmaView = {
  memory: mem,
  translate: (iova, length) => {
    if (iova + length > mem.length) throw new Error(`iova 0x${iova.toString(16)}+${length} outside the shared memory`);
    return iova;
  },
};
const queues = data.rings.map((r) => new SplitQueueDevice(data.num, r, dma, data.eventIdx));
const broken = queues.find((q) => q.broken);
if (broken) {
  parentPort!.postMessage({ error: broken.broken!.message });
} else {
  const net = new NetLoopback(queues[0], queues[1], data.features);
  const control = data.control;
  parentPort!.postMessage({ ready: true });
  /** Interrupts each queue whose driver wants one; needInterrupt() is asked once per queue per pass. */
  const interrupt = () =>
    queues.forEach((q, i) => {
      if (!q.needInterrupt()) return;
      Atomics.add(control, irqSlot(i), 1);
      Atomics.notify(control, irqSlot(i));
    });
  let seen = Atomics.load(control, slot('kick'));
  while (Atomics.load(control, slot('stop')) === 0) {
    Atomics.wait(control, slot('kick'), seen, WORKER_WAIT_MS);
    seen = Atomics.load(control, slot('kick'));
    // A kick may cover many chains: keep going while frames move.
    for (let moved = net.run(data.budget); ; moved = net.run(data.budget)) {
      interrupt();
      if (moved === 0) break;
    }
    Atomics.store(control, slot('frames'), net.stats.frames);
  }
  parentPort!.postMessage({ stopped: true, stats: net.stats, broken: queues.map((q) => q.broken?.message) });
}
