// A virtio device (the net loopback or the block RAM disk) with its device side in a worker
// thread, as hardware beside the CPU: the driver stays in this thread, the rings live in
// shared memory, kicks and interrupts cross threads through Atomics (thread-control.ts).
import { Worker } from 'node:worker_threads';
import type { DeviceWorkerData } from './device-worker.js';
import { THREADED_DEVICE_QUEUES, WORKER_POLL_US } from '../policy.js';
import { pollWhile } from './poll.js';
import { errSlot, irqSlot, KICK_SLOT, newControl, signal, STOP_SLOT, stopQueue } from './thread-control.js';
import type { SplitQueueDriver } from './driver-queue.js';

/** What waitUsed asks of a driver: any SplitQueueDriver, whatever its tokens. */
export type InterruptingDriver = Pick<SplitQueueDriver<unknown>, 'setInterrupts' | 'usedWaiting'>;

/** How a wait for used entries ended. */
export type WaitOutcome = 'used' | 'broken' | 'timed-out';

/** Atomics waits for ever on a NaN or infinite timeout: a device thread that died would hang the caller. */
function checkTimeout(what: string, timeoutMs: number): void {
  if (!(Number.isFinite(timeoutMs) && timeoutMs >= 0)) throw new RangeError(`${what}: timeout ${timeoutMs} ms is not a finite number, 0 or more`);
}

function checkWaitUsed(what: string, count: number, timeoutMs: number): void {
  checkTimeout(what, timeoutMs);
  // More than the ring holds is refused by setInterrupts, which knows the ring's size.
  if (!(Number.isInteger(count) && count >= 1)) throw new RangeError(`${what}: a count of ${count}; a whole number of used entries, 1 or more`);
}

type StartOptions = Omit<DeviceWorkerData, 'control' | 'kind' | 'features' | 'capacitySectors' | 'id' | 'pollMicros'> & Partial<Pick<DeviceWorkerData, 'features' | 'capacitySectors' | 'id' | 'pollMicros'>>;

/**
 * What is wrong with the options, before a thread starts, or undefined. A wrong kind or ring
 * count would fail inside the thread as a stack trace; a budget of 0 would move nothing and a
 * poll time that is not a finite number would spin forever, both without a word.
 */
function badOptions(d: DeviceWorkerData): string | undefined {
  if (!Object.hasOwn(THREADED_DEVICE_QUEUES, d.kind)) return `kind ${String(d.kind)}: ${Object.keys(THREADED_DEVICE_QUEUES).join(' or ')}`;
  const queues = THREADED_DEVICE_QUEUES[d.kind];
  if (!Array.isArray(d.rings) || d.rings.length !== queues) return `rings: a ${d.kind} device has ${queues}, not ${Array.isArray(d.rings) ? d.rings.length : String(d.rings)}`;
  if (!(d.memory instanceof SharedArrayBuffer)) return 'memory: a SharedArrayBuffer, which both threads see';
  for (const [k, ring] of d.rings.entries()) {
    for (const part of ['desc', 'avail', 'used'] as const) {
      const at: unknown = ring?.[part];
      if (typeof at !== 'bigint' || at < 0n) return `rings[${k}].${part} ${String(at)}: an offset in memory, a bigint 0 or more`;
    }
  }
  if (!(Number.isInteger(d.budget) && d.budget >= 1)) return `budget ${d.budget}: a whole number of chains, 1 or more`;
  if (!(Number.isFinite(d.pollMicros) && d.pollMicros >= 0)) return `pollMicros ${d.pollMicros}: a finite number of microseconds, 0 or more`;
  return undefined;
}

/**
 * Resolves once a device thread says it is ready. Rejects with what it threw, with its refusal
 * of the rings (and ends it), or when it exits before either: a thread that exits without a
 * word (not a throw: that is an 'error') would otherwise leave start() waiting for ever.
 */
export function whenReady(worker: Worker): Promise<void> {
  return new Promise((resolve, reject) => {
    const exited = (code: number) => reject(new Error(`the device thread exited (code ${code}) before it was ready`));
    worker.once('error', reject);
    worker.once('exit', exited);
    worker.once('message', (m: { ready?: boolean; error?: string }) => {
      if (m.ready) {
        worker.off('error', reject);
        worker.off('exit', exited);
        resolve();
        return;
      }
      void worker.terminate();
      reject(new Error(`device thread refused the rings: ${m.error}`));
    });
  });
}

export class ThreadedDevice {
  /** Why the thread ended before stop() asked it to, once it has: stop() answers with it, not a wait. */
  private ended: Error | undefined;

  private constructor(
    private readonly worker: Worker,
    private readonly control: Int32Array,
    /** How long waitInterrupt polls before it sleeps (µs): the device thread's setting, mirrored. */
    private readonly pollMicros: number,
    queues: number,
  ) {
    // A thread that dies (an exception in it, or terminated) sends no statistics: without
    // these, stop() would wait for them for ever, and an 'error' with no listener would end
    // this process. Its queues are stopped here too, as the thread stops them when its device
    // throws: a thread ended from outside could not, and a driver waiting on a queue would
    // wait out its timeout and be told 'timed-out' of a device that is gone.
    const ended = (why: Error) => {
      if (this.ended) return;
      this.ended = why;
      for (let q = 0; q < queues; q++) stopQueue(control, q);
    };
    worker.on('error', ended);
    worker.on('exit', (code) => ended(new Error(`the device thread exited (code ${code}) before stop()`)));
  }

  /** Starts the device thread; `pollMicros` (both sides' poll before a sleep) defaults to WORKER_POLL_US. */
  static start(kind: DeviceWorkerData['kind'], opts: StartOptions): Promise<ThreadedDevice> {
    const control = newControl();
    const workerData: DeviceWorkerData = { features: 0n, capacitySectors: 0n, id: '', pollMicros: WORKER_POLL_US, ...opts, kind, control };
    const refused = badOptions(workerData);
    if (refused) return Promise.reject(new RangeError(`ThreadedDevice.start: ${refused}`));
    const worker = new Worker(new URL('./device-worker.js', import.meta.url), { workerData });
    return whenReady(worker).then(() => new ThreadedDevice(worker, control, workerData.pollMicros, THREADED_DEVICE_QUEUES[kind]));
  }

  /** The doorbell: wakes the device thread (call after publish, when shouldKick says so). */
  kick(): void {
    signal(this.control, KICK_SLOT);
  }

  interrupts(queue: number): number {
    return Atomics.load(this.control, irqSlot(queue));
  }

  /**
   * Whether the device thread has stopped `queue`: over a ring it refuses, or because the thread
   * failed or ended before stop() (every queue then); stop() says why. The queue's interrupt
   * counter moves when it stops, so a driver in waitInterrupt wakes to look.
   */
  ringBroken(queue: number): boolean {
    return Atomics.load(this.control, errSlot(queue)) !== 0;
  }

  /**
   * Waits until queue's interrupt count moves past `seen`, or the timeout passes; true if it
   * moved. It polls first (blocking this thread for up to pollMicros), then sleeps without blocking.
   */
  async waitInterrupt(queue: number, seen: number, timeoutMs: number): Promise<boolean> {
    checkTimeout('waitInterrupt', timeoutMs);
    if (this.pollInterrupt(queue, seen)) return true;
    const r = Atomics.waitAsync(this.control, irqSlot(queue), seen, timeoutMs);
    return (r.async ? await r.value : r.value) !== 'timed-out';
  }

  /**
   * waitInterrupt for a thread that may block (a driver in a worker of its own): it sleeps in
   * Atomics.wait, and makes no promise, so a wait allocates nothing.
   */
  waitInterruptBlocking(queue: number, seen: number, timeoutMs: number): boolean {
    checkTimeout('waitInterruptBlocking', timeoutMs);
    return this.pollInterrupt(queue, seen) || this.sleepInterrupt(queue, seen, timeoutMs);
  }

  /** Whether queue's interrupt count moves past `seen` within a poll (this thread busy for up to pollMicros). */
  private pollInterrupt(queue: number, seen: number): boolean {
    return pollWhile(this.control, irqSlot(queue), seen, this.pollMicros);
  }

  /** Whether it moves past `seen` within `timeoutMs`, this thread blocked meanwhile. */
  private sleepInterrupt(queue: number, seen: number, timeoutMs: number): boolean {
    return Atomics.wait(this.control, irqSlot(queue), seen, timeoutMs) !== 'timed-out';
  }

  /**
   * Waits until `driver`, queue `queue`'s, has `count` used entries waiting to collect ('used'),
   * the thread stops the queue ('broken'), or `timeoutMs` passes ('timed-out'). It asks for an
   * interrupt at the count-th entry (with event idx; without it, at each) and leaves interrupts
   * on. Each round reads the interrupt count before it asks: an entry used before the device
   * could see the ask brought no interrupt, and the ask's answer shows it; one used after moves
   * the count, and the wait returns at once. A wake-up short of `count` reads the count afresh,
   * so an interrupt already taken does not end every later wait at once.
   */
  async waitUsed(queue: number, driver: InterruptingDriver, count: number, timeoutMs: number): Promise<WaitOutcome> {
    checkWaitUsed('waitUsed', count, timeoutMs);
    const until = performance.now() + timeoutMs;
    for (;;) {
      const asked = this.askForInterrupt(queue, driver, count);
      if (typeof asked !== 'number') return asked;
      const left = until - performance.now();
      if (left <= 0 || !(await this.waitInterrupt(queue, asked, left))) return this.afterTimeout(queue, driver, count);
    }
  }

  /**
   * waitUsed for a thread that may block, through waitInterruptBlocking. A wait that ends in
   * its poll reads no clock (each read is a new heap number): the time counts from the first
   * sleep, so the wait lasts up to a poll longer than `timeoutMs`. At batch 1, where every
   * descriptor is a wait, it allocates nothing.
   */
  waitUsedBlocking(queue: number, driver: InterruptingDriver, count: number, timeoutMs: number): WaitOutcome {
    checkWaitUsed('waitUsedBlocking', count, timeoutMs);
    let until = -1;
    for (;;) {
      const asked = this.askForInterrupt(queue, driver, count);
      if (typeof asked !== 'number') return asked;
      if (this.pollInterrupt(queue, asked)) continue;
      const now = performance.now();
      if (until < 0) until = now + timeoutMs;
      if (now >= until || !this.sleepInterrupt(queue, asked, until - now)) return this.afterTimeout(queue, driver, count);
    }
  }

  /**
   * A round of both waits: reads the interrupt count, then asks for an interrupt at the
   * count-th used entry. The outcome, when the wait is over already; else the count to sleep on.
   */
  private askForInterrupt(queue: number, driver: InterruptingDriver, count: number): WaitOutcome | number {
    const seen = this.interrupts(queue);
    if (driver.setInterrupts(true, count)) return 'used';
    if (this.ringBroken(queue)) return 'broken';
    return seen;
  }

  /** The outcome of a wait whose time ran out: the entries may have come, with no interrupt yet seen. */
  private afterTimeout(queue: number, driver: InterruptingDriver, count: number): WaitOutcome {
    if (driver.usedWaiting() >= count) return 'used';
    return this.ringBroken(queue) ? 'broken' : 'timed-out';
  }

  /**
   * Stops the device thread; answers its model's statistics and any queue it found broken. A
   * thread that ended already, or ends before it answers, rejects with why.
   */
  async stop<S = Record<string, number>>(): Promise<{ stats: S; broken: (string | undefined)[] }> {
    if (this.ended) throw this.ended;
    Atomics.store(this.control, STOP_SLOT, 1);
    this.kick();
    const done = await new Promise<{ stats: S; broken: (string | undefined)[] }>((resolve, reject) => {
      const ended = () => reject(this.ended);
      this.worker.once('exit', ended);
      this.worker.once('message', (m: { stats: S; broken: (string | undefined)[] }) => {
        this.worker.off('exit', ended);
        resolve(m);
      });
    });
    this.ended = new Error('the device thread was stopped');
    await this.worker.terminate();
    return { stats: done.stats, broken: done.broken };
  }
}
