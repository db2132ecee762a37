// The count a burst method is given, checked alike on both sides of the ring. A fraction would
// run a burst's loop once more than asked (k < 1.5 runs for k = 0 and 1), a negative count or
// NaN would run it not at all without a word, and a count past the caller's arrays would lose
// entries silently, as typed arrays drop writes past their end.

/**
 * Whether `count` is a whole number of entries, 0 to `room` (an array's length, below 2^32).
 * `count >>> 0 === count` says "a whole number from 0 to 2^32 - 1" in one test, which the engine
 * compiles to a compare of a small integer; Number.isInteger added a test for a heap number.
 * Each burst method checks its count once a call, so at batch 1 this is per descriptor: the
 * change took a one-descriptor round from 1,331 instructions to 1,298 (npm run bench's
 * instructions part).
 */
export function fitsBurst(count: number, room: number): boolean {
  return count >>> 0 === count && count <= room;
}

/** The error for a count fitsBurst refused; made out of line, as a template in a hot method keeps it from being inlined. */
export const badBurstCount = (count: number, room: number) => new RangeError(`a burst of ${count} into arrays of ${room}`);

/**
 * A device model's budget for one run (NetLoopback.run, BlockRamDisk.run): a whole number of
 * chains, 0 or more. A fraction would move one more than asked; NaN would move nothing.
 */
export function checkBudget(budget: number): void {
  if (!(Number.isInteger(budget) && budget >= 0)) throw new RangeError(`a run's budget of ${budget}: a whole number of chains, 0 or more`);
}
