// A virtio device in a worker thread: the same SplitQueueDevice and device models as in
// process, over the memory the driver shares (IOVA = offset), woken by kicks, answering with
// interrupts (device-thread.ts), until told to stop.
import { parentPort, workerData } from 'node:worker_threads';
import { BlockRamDisk } from './block.js';
import { SplitQueueDevice } from './device-queue.js';
import { serve, sharedMemoryDma } from './device-thread.js';
import { NetLoopback } from './net-loopback.js';

export interface DeviceWorkerData {
  kind: 'net' | 'block';
  memory: SharedArrayBuffer;
  control: Int32Array;
  num: number;
  eventIdx: boolean;
  /** Net: the negotiated features. */
  features: bigint;
  /** Block: the disk's size in sectors and its ID. */
  capacitySectors: bigint;
  id: string;
  /** Ring addresses, as offsets in `memory`: net has RX then TX, block one queue. */
  rings: { desc: bigint; avail: bigint; used: bigint }[];
  budget: number;
  /** How long the thread polls its rings, with kicks off, before it sleeps (µs; WORKER_POLL_US by default). */
  pollMicros: number;
}

const data = workerData as DeviceWorkerData;
const dma = sharedMemoryDma(data.memory);
const queues = data.rings.map((r) => new SplitQueueDevice(data.num, r, dma, data.eventIdx));
const broken = queues.find((q) => q.broken);
if (broken) {
  parentPort!.postMessage({ error: broken.broken!.message });
} else {
  let work: () => number;
  let stats: () => unknown;
  if (data.kind === 'net') {
    const net = new NetLoopback(queues[0], queues[1], data.features);
    work = () => net.run(data.budget);
    stats = () => net.stats;
  } else {
    const disk = new BlockRamDisk(queues[0], data.capacitySectors, data.id);
    work = () => disk.run(data.budget);
    stats = () => disk.stats;
  }
  parentPort!.postMessage({ ready: true });
  serve(data.control, queues, work, data.pollMicros);
  parentPort!.postMessage({ stopped: true, stats: stats(), broken: queues.map((q) => q.broken?.message) });
}
