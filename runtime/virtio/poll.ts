// Busy-polling for a bounded time, before a thread pays for a sleep and a wake-up through the
// kernel (WORKER_POLL_US in policy.ts says what each costs): a driver its interrupt counter, a
// device thread its rings.
import { MICROSECONDS_PER_MILLISECOND, POLLS_PER_CLOCK_READ } from '../policy.js';

/** Asks `look` until it answers true, up to `micros` (not a positive number: once only); true when it did in time. */
export function pollFor(look: () => boolean, micros: number): boolean {
  if (look()) return true;
  if (!(micros > 0)) return false;
  const until = performance.now() + micros / MICROSECONDS_PER_MILLISECOND;
  for (;;) {
    for (let k = 0; k < POLLS_PER_CLOCK_READ; k++) if (look()) return true;
    if (performance.now() >= until) return false;
  }
}

/** Polls `words[index]` while it equals `value`, up to `micros` (not a positive number: not at all); true when it moved in time. */
export function pollWhile(words: Int32Array, index: number, value: number, micros: number): boolean {
  return pollFor(() => Atomics.load(words, index) !== value, micros);
}
