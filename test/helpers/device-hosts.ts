// Where a datapath test's device side runs: in this thread, or in a worker thread that polls
// before it sleeps, or sleeps at once. A rig gives the test its drivers and one call, `answer`,
// that lets the device serve what the driver published; the test itself is the same for all
// three, as the issue asks of the worker-thread mode.
import { VIRTIO_F_VERSION_1 } from '../../generated/virtio_config.js';
import { THREADED_DEVICE_QUEUES, WORKER_POLL_US } from '../../runtime/policy.js';
import { BlockRamDisk, type BlockStats } from '../../runtime/virtio/block.js';
import { SplitQueueDriver } from '../../runtime/virtio/driver-queue.js';
import { NetLoopback, type NetStats } from '../../runtime/virtio/net-loopback.js';
import { ThreadedDevice } from '../../runtime/virtio/threaded-device.js';
import { DmaArena, ringIovas } from './rings.js';

export interface Host {
  name: string;
  /** Absent: the device runs in this thread. */
  pollMicros?: number;
}

export const HOSTS: readonly Host[] = [
  { name: 'in process' },
  { name: 'worker thread, polling', pollMicros: WORKER_POLL_US },
  { name: 'worker thread, sleeping at once', pollMicros: 0 },
];

/**
 * Device threads started and not yet stopped. A test that fails before finish() would leave its
 * thread running, and the thread would keep the whole test run from ever ending.
 */
const running = new Set<ThreadedDevice>();

/** Stops every device thread a rig left running (its test failed before finish()): a suite's after.each. */
export async function stopLeftDevices(): Promise<void> {
  const left = [...running];
  running.clear();
  await Promise.allSettled(left.map((d) => d.stop()));
}

/** How long a worker-thread rig waits for the device to answer before it calls the device stalled. */
const STALL_MS = 5000;

export interface Rig<S> {
  arena: DmaArena;
  /** The drivers, queue 0 first (net: RX then TX). */
  drivers: SplitQueueDriver<number>[];
  /**
   * Lets the device serve what the drivers published, up to `count` chains, and resolves once
   * `drivers[queue]` has `count` used entries waiting; throws when the device stalls.
   */
  answer(queue: number, count: number): Promise<void>;
  /** Stops the device: its statistics, and each queue it found broken. */
  finish(): Promise<{ stats: S; broken: (string | undefined)[] }>;
}

/** A net loopback, RX as queue 0 and TX as queue 1, with the features given (VERSION_1 by default). */
export async function netRig(host: Host, num: number, memory: number, features = 1n << BigInt(VIRTIO_F_VERSION_1)): Promise<Rig<NetStats>> {
  const arena = new DmaArena(memory);
  if (host.pollMicros === undefined) {
    const rx = arena.queue<number>(num, true);
    const tx = arena.queue<number>(num, true);
    const net = new NetLoopback(rx.device, tx.device, features);
    return inProcess(arena, [rx.driver, tx.driver], (budget) => net.run(budget), () => ({ stats: net.stats, broken: [rx.device, tx.device].map((d) => d.broken?.message) }));
  }
  return inWorker(arena, num, 'net', { features }, host.pollMicros);
}

/** A block RAM disk of `capacitySectors`, its one queue as queue 0. */
export async function blockRig(host: Host, num: number, memory: number, capacitySectors: bigint, id: string): Promise<Rig<BlockStats>> {
  const arena = new DmaArena(memory);
  if (host.pollMicros === undefined) {
    const q = arena.queue<number>(num, true);
    const disk = new BlockRamDisk(q.device, capacitySectors, id);
    return inProcess(arena, [q.driver], (budget) => disk.run(budget), () => ({ stats: disk.stats, broken: [q.device.broken?.message] }));
  }
  return inWorker(arena, num, 'block', { capacitySectors, id }, host.pollMicros);
}

function inProcess<S>(arena: DmaArena, drivers: SplitQueueDriver<number>[], run: (budget: number) => number, end: () => { stats: S; broken: (string | undefined)[] }): Rig<S> {
  return {
    arena,
    drivers,
    answer: async (queue, count) => {
      run(count);
      const broken = end().broken[queue];
      if (broken) throw new Error(`the device stopped queue ${queue}: ${broken}`);
      const waiting = drivers[queue].usedWaiting();
      if (waiting < count) throw new Error(`the device answered ${waiting} of ${count} on queue ${queue}`);
    },
    finish: async () => end(),
  };
}

/** The device of `kind` in a worker thread, with as many rings as the kind has queues. */
async function inWorker<S>(arena: DmaArena, num: number, kind: keyof typeof THREADED_DEVICE_QUEUES, model: { features?: bigint; capacitySectors?: bigint; id?: string }, pollMicros: number): Promise<Rig<S>> {
  const rings = Array.from({ length: THREADED_DEVICE_QUEUES[kind] }, () => arena.rings(num));
  const drivers = rings.map((r) => new SplitQueueDriver<number>(num, r, true));
  const device = await ThreadedDevice.start(kind, { memory: arena.mem.buffer as SharedArrayBuffer, num, eventIdx: true, rings: rings.map(ringIovas), budget: num, pollMicros, ...model });
  running.add(device);
  return {
    arena,
    drivers,
    answer: async (queue, count) => {
      // Each driver decides by the event-idx rule whether its news is worth a kick; each is asked,
      // as asking records what it was asked about, and one kick wakes the device for all.
      let kick = false;
      for (const d of drivers) kick = d.shouldKick() || kick;
      if (kick) device.kick();
      const driver = drivers[queue];
      if (count === 0) return;
      // The test collects the entries after answer(): the interrupt is asked for at the last one it waits for.
      const outcome = await device.waitUsed(queue, driver, count, STALL_MS);
      if (outcome === 'broken') throw new Error(`the device thread stopped queue ${queue} over a ring it refuses`);
      if (outcome === 'timed-out') throw new Error(`the device thread answered ${driver.usedWaiting()} of ${count} on queue ${queue} in ${STALL_MS} ms`);
    },
    finish: () => {
      running.delete(device);
      return device.stop<S>();
    },
  };
}
