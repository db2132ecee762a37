// The loop of a device thread: sleep on the kick counter, work while work moves, interrupt
// each queue whose driver asks, until told to stop. Shared by the net and block workers.
import { WORKER_WAIT_MS } from '../policy.js';
import { SplitQueueDevice } from './device-queue.js';
import { irqSlot, slot } from './thread-control.js';

export function serve(control: Int32Array, queues: SplitQueueDevice[], work: () => number): void {
  /** needInterrupt() is asked once per queue per pass: it records that the answer was given. */
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
    for (let done = work(); ; done = work()) {
      interrupt();
      if (done === 0) break;
    }
  }
}
