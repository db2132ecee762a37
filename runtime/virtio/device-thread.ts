// The loop of a device thread: poll, then sleep, on the kick counter, work while work moves,
// interrupt each queue whose driver asks, until told to stop. Shared by the net and block workers.
import { WORKER_WAIT_MS } from '../policy.js';
import { SplitQueueDevice } from './device-queue.js';
import { irqSlot, KICK_SLOT, STOP_SLOT } from './thread-control.js';
import { pollWhile } from './poll.js';

export function serve(control: Int32Array, queues: SplitQueueDevice[], work: () => number, pollMicros: number): void {
  const irqs = queues.map((_, i) => irqSlot(i));
  /** needInterrupt() is asked once per queue per pass: it records that the answer was given. */
  const interrupt = () => {
    for (let i = 0; i < queues.length; i++) {
      if (!queues[i].needInterrupt()) continue;
      Atomics.add(control, irqs[i], 1);
      Atomics.notify(control, irqs[i]);
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
