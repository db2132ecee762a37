// Busy-polling a shared counter for a bounded time, before a thread pays for a sleep and a
// wake-up through the kernel (WORKER_POLL_US in policy.ts says what each costs).
import { MICROSECONDS_PER_MILLISECOND, POLLS_PER_CLOCK_READ } from '../policy.js';

/** Polls `words[index]` while it equals `value`, up to `micros` (not a positive number: not at all); true when it moved in time. */
export function pollWhile(words: Int32Array, index: number, value: number, micros: number): boolean {
  if (Atomics.load(words, index) !== value) return true;
  if (!(micros > 0)) return false;
  const until = performance.now() + micros / MICROSECONDS_PER_MILLISECOND;
  for (;;) {
    for (let k = 0; k < POLLS_PER_CLOCK_READ; k++) if (Atomics.load(words, index) !== value) return true;
    if (performance.now() >= until) return false;
  }
}
