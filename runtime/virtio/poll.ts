// Busy-polling for a bounded time, before a thread pays for a sleep and a wake-up through the
// kernel (WORKER_POLL_US in policy.ts says what each costs): a driver its interrupt counter, a
// device thread its rings.
//
// A poll allocates nothing unless it lasts: at batch 1 every descriptor is a wait on each side,
// so garbage per wait is garbage per descriptor. Each clock read is a new heap number on this
// engine (16 bytes; performance.now, Date.now and process.uptime alike), so the clock is first
// read after a round of looks has found nothing, not when the poll starts; and the counter poll
// has one look for all its calls, not a closure made per call.
import { MICROSECONDS_PER_MILLISECOND, POLLS_PER_CLOCK_READ } from '../policy.js';

/**
 * Asks `look` until it answers true, for about `micros` (not a positive number: once only);
 * true when it did in time. The time counts from the end of the first round of looks
 * (POLLS_PER_CLOCK_READ of them), so a poll lasts that round longer than `micros`.
 */
export function pollFor(look: () => boolean, micros: number): boolean {
  if (look()) return true;
  if (!(micros > 0)) return false;
  let until = -1;
  for (;;) {
    for (let k = 0; k < POLLS_PER_CLOCK_READ; k++) if (look()) return true;
    const now = performance.now();
    if (until < 0) until = now + micros / MICROSECONDS_PER_MILLISECOND;
    else if (now >= until) return false;
  }
}

/**
 * The word pollWhile watches, and the value it waits to see change. Module state, not a closure
 * per call: a poll runs to its end before anything else in this thread can start another.
 */
let watchedWords: Int32Array = new Int32Array(1);
let watchedIndex = 0;
let watchedValue = 0;
const wordMoved = () => Atomics.load(watchedWords, watchedIndex) !== watchedValue;

/**
 * Polls `words[index]` while it equals `value`, for about `micros` (not a positive number: one
 * look); true when it moved in time.
 */
export function pollWhile(words: Int32Array, index: number, value: number, micros: number): boolean {
  watchedWords = words;
  watchedIndex = index;
  watchedValue = value;
  return pollFor(wordMoved, micros);
}
