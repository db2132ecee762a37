// An eventfd's counter semantics: write adds, read returns the sum and clears it.
export class SimEventfd {
  counter = 0n;
  /** Whoever waits for the counter to become non-zero (Backend.waitReadable). */
  private waiters: (() => void)[] = [];
  signal(by = 1n): void {
    this.counter += by;
    if (this.counter === 0n) return;
    const woken = this.waiters;
    this.waiters = [];
    for (const wake of woken) wake();
  }
  /** Calls `wake` once the counter is non-zero; the answer takes the wish back (a wait that timed out). */
  whenReadable(wake: () => void): () => void {
    if (this.counter !== 0n) {
      wake();
      return () => {};
    }
    this.waiters.push(wake);
    return () => {
      this.waiters = this.waiters.filter((w) => w !== wake);
    };
  }
  /** The counter, cleared; undefined when it is zero (a read would be EAGAIN). */
  take(): bigint | undefined {
    if (this.counter === 0n) return undefined;
    const v = this.counter;
    this.counter = 0n;
    return v;
  }
}
