// The loop of a device thread: poll, then sleep, on the kick counter, work while work moves,
// interrupt each queue whose driver asks, report each queue that breaks, until told to stop; and
// the DMA view over the memory it shares with the driver. Shared by the net and block workers,
// and the ring bench's worker.
import { WORKER_WAIT_MS } from '../policy.js';
import { SplitQueueDevice, type DmaView } from './device-queue.js';
import { errSlot, irqSlot, KICK_SLOT, signal, STOP_SLOT } from './thread-control.js';
import { pollWhile } from './poll.js';

export function serve(control: Int32Array, queues: SplitQueueDevice[], work: () => number, pollMicros: number): void {
  const irqs = queues.map((_, i) => irqSlot(i));
  const errs = queues.map((_, i) => errSlot(i));
  const reported = queues.map(() => false);
  /**
   * needInterrupt() is asked once per queue per pass: it records that the answer was given. A
   * queue that broke sets its error word, then interrupts, as a virtio device that sets
   * NEEDS_RESET interrupts: a driver asleep on the queue wakes to find it stopped.
   */
  const interrupt = () => {
    for (let i = 0; i < queues.length; i++) {
      if (queues[i].needInterrupt()) signal(control, irqs[i]);
      if (queues[i].broken && !reported[i]) {
        reported[i] = true;
        Atomics.store(control, errs[i], 1);
        signal(control, irqs[i]);
      }
    }
  };
  let seen = Atomics.load(control, KICK_SLOT);
  while (Atomics.load(control, STOP_SLOT) === 0) {
    // A kick that comes while the thread polls costs no wake-up; one after it, a sleep's worth.
    if (!pollWhile(control, KICK_SLOT, seen, pollMicros)) Atomics.wait(control, KICK_SLOT, seen, WORKER_WAIT_MS);
    seen = Atomics.load(control, KICK_SLOT);
    for (let done = work(); ; done = work()) {
      interrupt();
      if (done === 0) break;
    }
  }
}

/**
 * The DMA view of a device thread: the memory the driver shares with it, where an IOVA is the
 * offset (the identity IOMMU of a simulated device); a range past its end is not mapped.
 */
export function sharedMemoryDma(memory: SharedArrayBuffer): DmaView {
  const mem = new Uint8Array(memory);
  return {
    memory: mem,
    translate: (iova, length) => {
      if (iova + length > mem.length) throw new Error(`iova 0x${iova.toString(16)}+${length} outside the shared memory`);
      return iova;
    },
  };
}
