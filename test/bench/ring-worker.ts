// The device side of the ring bench's two-thread table (rings.ts's worker part, driven from
// ring-threads.ts): a SplitQueueDevice in a worker over the memory the driver shares (IOVA =
// offset), served by the runtime's own device-thread loop (poll the ring with kicks off, then
// sleep until a kick; an interrupt when the driver asks). Its work is the bare ring, as ring.c's
// device thread does: pop what is available, check each chain was read whole, push it all back
// used. No device model: the figure is the ring's. It counts the collections in its own thread
// over the driver's timed stretch: the driver's thread cannot see them.
import { parentPort, workerData } from 'node:worker_threads';
import { BUFFER } from './ring-cases.js';
import { absoluteNow, recordGcs } from './gc-count.js';
import { SplitQueueDevice } from '../../runtime/virtio/device-queue.js';
import { serve, sharedMemoryDma } from '../../runtime/virtio/device-thread.js';

export interface RingWorkerData {
  memory: SharedArrayBuffer;
  control: Int32Array;
  num: number;
  ring: { desc: bigint; avail: bigint; used: bigint };
  pollMicros: number;
  /** When the driver's timed stretch began, as absoluteNow() (ms): the driver writes it. */
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
const collections = recordGcs();
parentPort!.postMessage({ ready: true, broken: queue.broken?.message });
serve(data.control, [queue], work, data.pollMicros);
const gcs = await collections.between(data.timedFrom[0], absoluteNow());
parentPort!.postMessage({ stopped: true, short, broken: queue.broken?.message, gcs });
