// The device side of test/runtime/notify-handshake.test.ts, in a worker thread: a device that
// polls its ring with kicks off, and before it sleeps turns them on and looks once more, as
// vhost does. If that handshake could lose a chain, this thread would sleep with a chain
// waiting and no kick coming, and report the stall.
import { parentPort, workerData } from 'node:worker_threads';
import { SplitQueueDevice, type DmaView } from '../../runtime/virtio/device-queue.js';

export interface NotifyWorkerData {
  memory: SharedArrayBuffer;
  /** [kicks, interrupts]: counters the driver and this thread bump and wait on. */
  control: Int32Array;
  num: number;
  eventIdx: boolean;
  ring: { desc: bigint; avail: bigint; used: bigint };
  /** Chains to serve before answering. */
  total: number;
  /** How long a sleep may last before it counts as a stall (ms). */
  stallMs: number;
}

export const KICKS = 0;
export const INTERRUPTS = 1;

if (parentPort && workerData) {
  const d = workerData as NotifyWorkerData;
  const memory = new Uint8Array(d.memory);
  const dma: DmaView = {
    memory,
    translate: (iova, length) => {
      if (iova + length > memory.length) throw new Error(`iova ${iova}+${length} outside the memory`);
      return iova;
    },
  };
  const device = new SplitQueueDevice(d.num, d.ring, dma, d.eventIdx);
  const heads = new Uint16Array(d.num);
  const written = new Uint32Array(d.num);
  let served = 0;
  let sleeps = 0;
  let stalled = false;
  device.setNotifications(false);
  while (served < d.total && !device.broken) {
    const n = device.popBurst(heads);
    if (n > 0) {
      device.pushBurst(heads, written, n);
      served += n;
      Atomics.add(d.control, INTERRUPTS, 1);
      Atomics.notify(d.control, INTERRUPTS);
      continue;
    }
    // Idle at once, to run the handshake as often as it can be run: the kick count first, then
    // kicks on and one more look, then sleep unless a kick came after the count was read.
    const seen = Atomics.load(d.control, KICKS);
    if (device.setNotifications(true)) {
      device.setNotifications(false);
      continue;
    }
    if (Atomics.wait(d.control, KICKS, seen, d.stallMs) === 'timed-out') {
      stalled = device.availWaiting() > 0 || served < d.total;
      break;
    }
    sleeps++;
    device.setNotifications(false);
  }
  parentPort.postMessage({ served, sleeps, stalled, broken: device.broken?.message });
}
