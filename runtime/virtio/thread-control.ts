// The words two threads share to run a virtqueue device in a worker: a kick counter the driver
// bumps (the doorbell), a stop flag, and per queue an interrupt counter the device bumps and a
// ring-error word it sets when it stops the queue (over a ring it refuses, or because the
// thread itself failed). They
// wake the other side; what orders the ring's contents is the ring's own index words, which
// both sides read and write through Atomics (ring-words.ts), as a CPU and a device order them
// with barriers, not with the doorbell.
//
// The indexes are constants, not looked up by name: both sides read them in their polling
// loops, where a name built per call was a string allocated per poll.
import { MAX_THREADED_QUEUES } from '../policy.js';

export const KICK_SLOT = 0;
export const STOP_SLOT = KICK_SLOT + 1;
/** Queue q's interrupt counter is at FIRST_IRQ_SLOT + q, its ring-error word at FIRST_ERR_SLOT + q. */
const FIRST_IRQ_SLOT = STOP_SLOT + 1;
const FIRST_ERR_SLOT = FIRST_IRQ_SLOT + MAX_THREADED_QUEUES;
const SLOTS = FIRST_ERR_SLOT + MAX_THREADED_QUEUES;

function checkQueue(queue: number): number {
  if (!(Number.isInteger(queue) && queue >= 0 && queue < MAX_THREADED_QUEUES)) throw new RangeError(`queue ${queue}: a worker-thread device has queues 0 to ${MAX_THREADED_QUEUES - 1}`);
  return queue;
}

export function irqSlot(queue: number): number {
  return FIRST_IRQ_SLOT + checkQueue(queue);
}

export function errSlot(queue: number): number {
  return FIRST_ERR_SLOT + checkQueue(queue);
}

export function newControl(): Int32Array {
  return new Int32Array(new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT * SLOTS));
}

/** Bumps the counter at `slot` and wakes whoever sleeps on it: a kick, or an interrupt. */
export function signal(control: Int32Array, slot: number): void {
  Atomics.add(control, slot, 1);
  Atomics.notify(control, slot);
}

/**
 * Marks queue `queue` stopped (its ring-error word) and interrupts, as a virtio device that sets
 * NEEDS_RESET interrupts: a driver asleep on the queue wakes to find it stopped.
 */
export function stopQueue(control: Int32Array, queue: number): void {
  Atomics.store(control, errSlot(queue), 1);
  signal(control, irqSlot(queue));
}
