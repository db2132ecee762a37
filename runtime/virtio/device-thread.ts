// The loop of a device thread: work while work moves, then poll the rings with kicks off, then
// turn kicks on and sleep until one comes; interrupt each queue whose driver asks, report each
// queue that breaks, until told to stop. A device model that throws (a bug: hostile rings break
// a queue, they do not throw) stops every queue before the throw ends the thread, so a driver
// waiting in any thread wakes to find its queue stopped instead of waiting out its timeout.
// And the DMA view over the memory it shares with the driver. Shared by the net and block
// workers, and the ring bench's worker.
import { WORKER_WAIT_MS } from '../policy.js';
import { SplitQueueDevice, type DmaView } from './device-queue.js';
import { irqSlot, KICK_SLOT, signal, STOP_SLOT, stopQueue } from './thread-control.js';
import { pollFor } from './poll.js';

/**
 * How the thread sleeps: until the kick count moves past `seen`, bounded so a lost kick costs a
 * wait, never a hang. A parameter so a test can stand in for it and check, at the moment the
 * thread would sleep, that no chain waits unseen (test/runtime/device-thread.test.ts).
 */
export type Sleep = (control: Int32Array, seen: number) => void;

const sleepUntilKick: Sleep = (control, seen) => void Atomics.wait(control, KICK_SLOT, seen, WORKER_WAIT_MS);

export function serve(control: Int32Array, queues: SplitQueueDevice[], work: () => number, pollMicros: number, sleep: Sleep = sleepUntilKick): void {
  try {
    serveUntilStopped(control, queues, work, pollMicros, sleep);
  } catch (e) {
    for (let i = 0; i < queues.length; i++) stopQueue(control, i);
    throw e;
  }
}

function serveUntilStopped(control: Int32Array, queues: SplitQueueDevice[], work: () => number, pollMicros: number, sleep: Sleep): void {
  const irqs = queues.map((_, i) => irqSlot(i));
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
        stopQueue(control, i);
      }
    }
  };
  /** Works while work moves, interrupting after each pass; whether anything moved. */
  const drain = () => {
    let moved = false;
    for (let done = work(); ; done = work()) {
      interrupt();
      if (done === 0) return moved;
      moved = true;
    }
  };
  const stopped = () => Atomics.load(control, STOP_SLOT) !== 0;
  /**
   * A look at the rings while polling them, by working: true as soon as work moved, or when the
   * thread is told to stop. The kicks are off meanwhile, so a driver publishing to a device that
   * is looking anyway pays no doorbell (vhost's busy-poll does the same).
   */
  const workedOrStopped = () => drain() || stopped();
  // Indexed, not for-of: an iterator made each time the thread goes to sleep or wakes is garbage
  // per descriptor at batch 1, where every descriptor is a sleep or a poll.
  const kicks = (on: boolean) => {
    for (let i = 0; i < queues.length; i++) queues[i].setNotifications(on);
  };
  kicks(false);
  while (!stopped()) {
    if (pollFor(workedOrStopped, pollMicros)) continue;
    // Going to sleep: the kick count first, then kicks on, then one more look. A chain published
    // before the driver could see kicks on came with no kick; one published after it kicks, and
    // the count read first makes the wait return at once. The look is work itself, not
    // setNotifications' answer: a chain waiting for something else (a TX frame with no RX
    // buffer) is no reason to stay awake.
    const seen = Atomics.load(control, KICK_SLOT);
    kicks(true);
    if (!drain() && !stopped()) sleep(control, seen);
    kicks(false);
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
