// The device side of the ring bench's two-thread table (rings.ts's worker part, driven from
// ring-threads.ts): a SplitQueueDevice in a worker over the memory the driver shares (IOVA =
// offset), served by the runtime's own device-thread loop (poll the ring with kicks off, then
// sleep until a kick; an interrupt when the driver asks). Its work is the bare ring, as ring.c's
// device thread does: pop what is available, check each chain was read whole, push it all back
// used. No device model: the figure is the ring's. It counts the collections in its own thread
// over the driver's timed stretch: the driver's thread cannot see them.
import { PerformanceObserver } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import { BUFFER } from './ring-cases.js';
import { GC_REPORT_DELAY_MS } from './gc-count.js';
import { SplitQueueDevice } from '../../runtime/virtio/device-queue.js';
import { serve, sharedMemoryDma } from '../../runtime/virtio/device-thread.js';

export interface RingWorkerData {
  memory: SharedArrayBuffer;
  control: Int32Array;
  num: number;
  ring: { desc: bigint; avail: bigint; used: bigint };
  pollMicros: number;
  /** When the driver's timed stretch began, as performance.timeOrigin + now() (ms): the driver writes it. */
  timedFrom: Float64Array;
}

const data = workerData as RingWorkerData;
const dma = sharedMemoryDma(data.memory);
const queue = new SplitQueueDevice(data.num, data.ring, dma, true);
const heads = new Uint16Array(data.num);
const written = new Uint32Array(data.num);
/** Bytes short of BUFFER over every chain: 0 when the device saw each buffer whole (as ring.c's checksum shows). */
let short = 0;
const work = () => {
  const n = queue.popBurst(heads);
  for (let k = 0; k < n; k++) short += BUFFER - queue.chainOf(heads[k]).readableLength;
  queue.pushBurst(heads, written, n);
  return n;
};
// Collections as absolute times: each thread's performance.now() counts from its own origin.
const collections: number[] = [];
const observer = new PerformanceObserver((list) => {
  for (const e of list.getEntries()) collections.push(performance.timeOrigin + e.startTime);
});
observer.observe({ entryTypes: ['gc'] });
parentPort!.postMessage({ ready: true, broken: queue.broken?.message });
serve(data.control, [queue], work, data.pollMicros);
const stoppedAt = performance.timeOrigin + performance.now();
// serve() held this thread: the observer is told of the collections once its event loop runs.
setTimeout(() => {
  observer.disconnect();
  const gcs = collections.filter((t) => t >= data.timedFrom[0] && t <= stoppedAt).length;
  parentPort!.postMessage({ stopped: true, short, broken: queue.broken?.message, gcs });
}, GC_REPORT_DELAY_MS);
