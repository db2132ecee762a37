// The device thread's way to sleep (serve, device-thread.ts), run in this thread with a stand-in
// for its sleep, and a driver that publishes at each point of the loop where a chain could slip
// past the device: while it polls with kicks off, just before and just after it turns kicks on,
// after its last look, and while it sleeps. Each time the thread would sleep, no chain may wait
// that it has not seen, unless a kick came after the count it sleeps on (the wait then returns at
// once). A chain that slipped past would wait out WORKER_WAIT_MS: a stall the worker-thread
// tests cannot see, as they pass either way, only slower.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { SplitQueueDevice } from '../../runtime/virtio/device-queue.js';
import { serve } from '../../runtime/virtio/device-thread.js';
import type { SplitQueueDriver } from '../../runtime/virtio/driver-queue.js';
import { errSlot, irqSlot, KICK_SLOT, newControl, signal, STOP_SLOT } from '../../runtime/virtio/thread-control.js';
import { seeded } from '../fuzz/random-rings.js';
import { DmaArena } from '../helpers/rings.js';

const t = suite('device thread: sleeping without missing a chain, and failing without leaving a driver waiting');

const NUM = 8;
const QUEUES = 2;
const SLEEPS = 3000;
/** Bounds a loop that never sleeps (a broken serve), so the test fails instead of hanging. */
const MAX_WORK_CALLS = SLEEPS * 1000;

const POINTS = ['polling', 'before kicks on', 'after kicks on', 'after the last look', 'asleep'] as const;
type Point = (typeof POINTS)[number];

interface Outcome {
  sleeps: number;
  /** What went wrong, in order: empty when serve kept its promise. */
  faults: string[];
  /** Per point: chains published there, and how many of those the driver was told not to kick for. */
  published: Record<Point, number>;
  unkicked: Record<Point, number>;
  chainsPublished: number;
  chainsServed: number;
}

function run(eventIdx: boolean, seed: number, chance: number): Outcome {
  const random = seeded(seed).next;
  const arena = new DmaArena(1 << 20);
  const buffer = arena.alloc(16);
  const pairs = Array.from({ length: QUEUES }, () => arena.queue<number>(NUM, eventIdx));
  const drivers: SplitQueueDriver<number>[] = pairs.map((p) => p.driver);
  const devices: SplitQueueDevice[] = pairs.map((p) => p.device);
  const control = newControl();
  const zero = (n: number) => new Uint32Array(n);
  const heads = new Uint16Array(NUM);
  const lengths = new Uint32Array(NUM);
  const out: Outcome = {
    sleeps: 0,
    faults: [],
    published: Object.fromEntries(POINTS.map((p) => [p, 0])) as Record<Point, number>,
    unkicked: Object.fromEntries(POINTS.map((p) => [p, 0])) as Record<Point, number>,
    chainsPublished: 0,
    chainsServed: 0,
  };
  let kicksOn = false;
  let workCalls = 0;

  /** The driver, at `point`: by chance, collects what is used and publishes a chain on a queue; kicks when told to. */
  const maybePublish = (point: Point): void => {
    if (random() >= chance) return;
    const q = Math.floor(random() * QUEUES);
    const driver = drivers[q];
    driver.popUsedBurst(heads, lengths);
    if (driver.free === 0) return;
    driver.add([{ iova: buffer.iova, length: buffer.bytes.length }], [], out.chainsPublished);
    driver.publish();
    out.chainsPublished++;
    out.published[point]++;
    if (driver.shouldKick()) signal(control, KICK_SLOT);
    else {
      out.unkicked[point]++;
      // Asleep, the device waits for a kick: a chain it asks none for waits out the timeout.
      if (point === 'asleep') out.faults.push(`sleep ${out.sleeps}: queue ${q} published while the device slept, and the driver was told not to kick`);
    }
  };

  for (const device of devices) {
    const turn = device.setNotifications.bind(device);
    device.setNotifications = (on: boolean) => {
      if (on) maybePublish('before kicks on');
      const waiting = turn(on);
      kicksOn = on;
      if (on) maybePublish('after kicks on');
      return waiting;
    };
  }

  const work = (): number => {
    if (++workCalls > MAX_WORK_CALLS) {
      out.faults.push(`${MAX_WORK_CALLS} looks at the rings and only ${out.sleeps} sleeps: the thread never settles`);
      Atomics.store(control, STOP_SLOT, 1);
    }
    let moved = 0;
    for (const device of devices) {
      const n = device.popBurst(heads, NUM);
      device.pushBurst(heads, zero(n), n);
      moved += n;
    }
    out.chainsServed += moved;
    // The look found nothing: a chain published now comes just after it.
    if (moved === 0) maybePublish(kicksOn ? 'after the last look' : 'polling');
    return moved;
  };

  const sleep = (c: Int32Array, seen: number): void => {
    out.sleeps++;
    const kicked = Atomics.load(c, KICK_SLOT) !== seen;
    devices.forEach((device, q) => {
      const waiting = device.availWaiting();
      if (waiting > 0 && !kicked) out.faults.push(`sleep ${out.sleeps}: queue ${q} has ${waiting} chain(s) the device has not seen, and no kick came since the count it sleeps on`);
    });
    if (out.sleeps >= SLEEPS) Atomics.store(c, STOP_SLOT, 1);
    // A kick already came: Atomics.wait would return at once. Otherwise the device sleeps, and the driver may publish meanwhile.
    else if (!kicked) maybePublish('asleep');
  };

  serve(control, devices, work, 0, sleep);
  for (const device of devices) if (device.broken) out.faults.push(`a queue broke: ${device.broken.message}`);
  return out;
}

for (const eventIdx of [false, true]) {
  const mode = eventIdx ? 'event idx' : 'NO_NOTIFY';
  t(`${mode}: a chain published at any point of the loop is seen before the thread sleeps, or kicks it awake`, () => {
    for (const [seed, chance] of [
      [1, 0.2],
      [2, 0.05],
      [3, 0.4],
    ] as const) {
      const o = run(eventIdx, seed, chance);
      assert.equal(o.faults.slice(0, 3), [], `seed ${seed}: ${o.faults.length} fault(s)`);
      assert.is(o.sleeps, SLEEPS, 'the thread slept as often as the test let it, then stopped when told');
      for (const point of POINTS) assert.ok(o.published[point] > 0, `seed ${seed}: no chain published ${point}`);
      // The windows the handshake is for: a chain published before kicks are on comes with no
      // kick, and the device must find it by looking; one after the last look kicks.
      assert.ok(o.unkicked['before kicks on'] > 0, `seed ${seed}: every chain published before kicks on was kicked; the window was never open`);
      assert.ok(o.published['after the last look'] - o.unkicked['after the last look'] > 0, `seed ${seed}: no chain published after the last look kicked`);
      assert.ok(o.chainsServed <= o.chainsPublished && o.chainsServed >= o.chainsPublished - QUEUES * NUM, `seed ${seed}: served ${o.chainsServed} of ${o.chainsPublished}`);
    }
  });
}

t('a device model that throws stops every queue and interrupts each before the throw ends the thread', () => {
  const arena = new DmaArena(1 << 20);
  const devices = Array.from({ length: QUEUES }, () => arena.queue<number>(NUM, true).device);
  const control = newControl();
  const bug = new Error('a bug in the device model');
  let calls = 0;
  const work = () => {
    if (++calls === 3) throw bug;
    return 0;
  };
  const irqsBefore = devices.map((_, q) => Atomics.load(control, irqSlot(q)));
  assert.throws(() => serve(control, devices, work, 0, () => undefined), (e: unknown) => e === bug, 'the model\'s own error ends the thread');
  devices.forEach((_, q) => {
    assert.is(Atomics.load(control, errSlot(q)), 1, `queue ${q} marked stopped`);
    assert.is(Atomics.load(control, irqSlot(q)), irqsBefore[q] + 1, `queue ${q} interrupted: a driver asleep on it wakes`);
  });
});

t.run();
