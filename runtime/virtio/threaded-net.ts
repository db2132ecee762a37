// The net loopback with its device side in a worker thread, as hardware beside the CPU: the
// driver stays in this thread, the rings live in shared memory, kicks and interrupts cross
// threads through Atomics (thread-control.ts).
import { Worker } from 'node:worker_threads';
import type { NetWorkerData } from './net-worker.js';
import { irqSlot, newControl, slot } from './thread-control.js';

export class ThreadedNetLoopback {
  private constructor(
    private readonly worker: Worker,
    private readonly control: Int32Array,
  ) {}

  static start(opts: Omit<NetWorkerData, 'control'>): Promise<ThreadedNetLoopback> {
    const control = newControl();
    const worker = new Worker(new URL('./net-worker.js', import.meta.url), { workerData: { ...opts, control } satisfies NetWorkerData });
    return new Promise((resolve, reject) => {
      worker.once('error', reject);
      worker.once('message', (m: { ready?: boolean; error?: string }) => {
        if (m.ready) resolve(new ThreadedNetLoopback(worker, control));
        else {
          void worker.terminate();
          reject(new Error(`device thread refused the rings: ${m.error}`));
        }
      });
    });
  }

  /** The doorbell: wakes the device thread (call after publish, when shouldKick says so). */
  kick(): void {
    Atomics.add(this.control, slot('kick'), 1);
    Atomics.notify(this.control, slot('kick'));
  }

  interrupts(queue: number): number {
    return Atomics.load(this.control, irqSlot(queue));
  }

  /** Waits until queue's interrupt count moves past `seen`, or the timeout passes; true if it moved. */
  async waitInterrupt(queue: number, seen: number, timeoutMs: number): Promise<boolean> {
    const r = Atomics.waitAsync(this.control, irqSlot(queue), seen, timeoutMs);
    return (r.async ? await r.value : r.value) !== 'timed-out';
  }

  get framesMoved(): number {
    return Atomics.load(this.control, slot('frames'));
  }

  async stop(): Promise<{ frames: number; broken: (string | undefined)[] }> {
    Atomics.store(this.control, slot('stop'), 1);
    this.kick();
    const done = await new Promise<{ stats: { frames: number }; broken: (string | undefined)[] }>((resolve) => this.worker.once('message', resolve));
    await this.worker.terminate();
    return { frames: done.stats.frames, broken: done.broken };
  }
}
