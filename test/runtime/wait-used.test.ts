// ThreadedDevice.waitUsed and waitUsedBlocking, the driver's half of the interrupt handshake,
// run against a device scripted in this thread: the device answers at each point of the wait
// where an entry could slip past the driver (before it reads the interrupt count, between that
// and asking for an interrupt, right after asking, while it polls and while it sleeps),
// interrupting whenever the ring asks it to. Each time the driver would sleep, the entries it
// waits for may not all be there already unless an interrupt came after the count it sleeps on
// (its wait then returns at once). A driver that slept past them would wait out its timeout: a
// stall the worker tests pass anyway.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ThreadedDevice } from '../../runtime/virtio/threaded-device.js';
import { irqSlot, newControl, signal } from '../../runtime/virtio/thread-control.js';
import { seeded } from '../fuzz/random-rings.js';
import { DmaArena } from '../helpers/rings.js';

const t = suite('waitUsed: sleeping without missing a used entry');

const NUM = 16;
const ROUNDS = 3000;
const POINTS = ['before the count is read', 'before asking', 'after asking', 'polling', 'asleep'] as const;
type Point = (typeof POINTS)[number];

async function run(eventIdx: boolean, blocking: boolean, seed: number, chance: number): Promise<{ faults: string[]; answered: Record<Point, number> }> {
  const random = seeded(seed).next;
  const arena = new DmaArena(1 << 20);
  const buffer = arena.alloc(16);
  const { driver, device } = arena.queue<number>(NUM, eventIdx);
  const control = newControl();
  const irq = irqSlot(0);
  const heads = new Uint16Array(NUM);
  const lengths = new Uint32Array(NUM);
  const faults: string[] = [];
  const answered = Object.fromEntries(POINTS.map((p) => [p, 0])) as Record<Point, number>;
  let round = 0;
  let count = 1;

  /** The device, at `point`: by chance, answers some of the chains waiting, and interrupts if the ring asks. */
  const maybeAnswer = (point: Point, all = false): void => {
    if (!all && random() >= chance) return;
    const n = device.popBurst(heads, all ? NUM : 1 + Math.floor(random() * 2));
    if (n === 0) return;
    device.pushBurst(heads, new Uint32Array(n), n);
    answered[point] += n;
    if (device.needInterrupt()) signal(control, irq);
  };

  /** The driver polls the interrupt count: the device may answer meanwhile. */
  const poll = (seen: number): boolean => {
    maybeAnswer('polling');
    return Atomics.load(control, irq) !== seen;
  };
  /** The driver sleeps on the count (unless it moved already); the device answers all it has, and the driver wakes only if it interrupts. */
  const sleep = (seen: number): boolean => {
    const interrupted = Atomics.load(control, irq) !== seen;
    if (!interrupted && driver.usedWaiting() >= count) faults.push(`round ${round}: asleep with ${driver.usedWaiting()} of ${count} entries there and no interrupt since the count it sleeps on`);
    if (interrupted) return true;
    maybeAnswer('asleep', true);
    if (Atomics.load(control, irq) !== seen) return true;
    if (driver.usedWaiting() >= count) faults.push(`round ${round}: ${count} entries used while the driver slept, with no interrupt`);
    return false;
  };
  // What the waits ask of their device: the interrupt count, the error word, the poll and the
  // sleep; the rest of the ThreadedDevice is its own.
  const stand: ThreadedDevice = Object.assign(Object.create(ThreadedDevice.prototype) as object, {
    interrupts: () => {
      maybeAnswer('before the count is read');
      return Atomics.load(control, irq);
    },
    ringBroken: () => false,
    waitInterrupt: async (_queue: number, seen: number) => poll(seen) || sleep(seen),
    pollInterrupt: (_queue: number, seen: number) => poll(seen),
    sleepInterrupt: (_queue: number, seen: number) => sleep(seen),
  }) as unknown as ThreadedDevice;
  const setInterrupts = driver.setInterrupts.bind(driver);
  driver.setInterrupts = (enabled: boolean, after?: number) => {
    maybeAnswer('before asking');
    const waiting = setInterrupts(enabled, after);
    maybeAnswer('after asking');
    return waiting;
  };

  for (round = 0; round < ROUNDS && faults.length === 0; round++) {
    count = 1 + Math.floor(random() * 4);
    for (let k = 0; k < count; k++) driver.add([{ iova: buffer.iova, length: buffer.bytes.length }], [], k);
    driver.publish();
    // The driver takes interrupts only while it waits, as Linux's virtqueue_disable_cb between batches.
    const outcome = blocking ? stand.waitUsedBlocking(0, driver, count, 1000) : await stand.waitUsed(0, driver, count, 1000);
    // A driver that timed out with its entries there slept past them.
    if (outcome !== 'used') faults.push(`round ${round}: ${outcome}, with ${driver.usedWaiting()} of ${count} entries there`);
    else if (driver.usedWaiting() < count) faults.push(`round ${round}: used, with only ${driver.usedWaiting()} of ${count} entries there`);
    maybeAnswer('asleep', true);
    driver.popUsedBurst(heads, lengths);
    setInterrupts(false);
  }
  return { faults, answered };
}

for (const blocking of [false, true]) {
  for (const eventIdx of [false, true]) {
    const mode = `${blocking ? 'waitUsedBlocking' : 'waitUsed'}, ${eventIdx ? 'event idx' : 'NO_INTERRUPT'}`;
    t(`${mode}: entries used at any point of the wait are seen before the driver sleeps, or interrupt it awake`, async () => {
      for (const [seed, chance] of [
        [1, 0.3],
        [2, 0.1],
        [3, 0.6],
      ] as const) {
        const { faults, answered } = await run(eventIdx, blocking, seed, chance);
        assert.equal(faults.slice(0, 3), [], `seed ${seed}: ${faults.length} fault(s)`);
        for (const point of POINTS) assert.ok(answered[point] > 0, `seed ${seed}: the device never answered ${point}`);
      }
    });
  }
}

t.run();
