// The words two threads share to run a virtqueue device in a worker: a kick counter the driver
// bumps (the doorbell), one interrupt counter per queue the device bumps, and a stop flag.
// Ring contents are plain memory; these Atomics are what orders them: the driver publishes
// before it kicks, the device pushes before it interrupts, and each side reads the ring only
// after it has seen the other's counter move.
export const SLOTS = ['kick', 'stop', 'irq:0', 'irq:1'] as const;
export type Slot = (typeof SLOTS)[number];

export function slot(name: Slot): number {
  return SLOTS.indexOf(name);
}

export function irqSlot(queue: number): number {
  return slot(`irq:${queue}` as Slot);
}

export function newControl(): Int32Array {
  return new Int32Array(new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT * SLOTS.length));
}
