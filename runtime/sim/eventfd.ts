// An eventfd's counter semantics: write adds, read returns the sum and clears it.
export class SimEventfd {
  counter = 0n;
  signal(by = 1n): void {
    this.counter += by;
  }
  /** The counter, cleared; undefined when it is zero (a read would be EAGAIN). */
  take(): bigint | undefined {
    if (this.counter === 0n) return undefined;
    const v = this.counter;
    this.counter = 0n;
    return v;
  }
}
