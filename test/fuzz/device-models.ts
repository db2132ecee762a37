// The device models (block RAM disk, net loopback) under fuzz: behind random ring states, and
// behind well-formed rings of random requests and frames. QEMU's oracle: every chain comes back
// used or a queue is broken, in a bounded number of runs; and every answer is one the driver
// takes (a used length within the chain's writable bytes, a block status OK, IOERR or UNSUPP).
import { VIRTIO_F_VERSION_1 } from '../../generated/virtio_config.js';
import { VIRTIO_NET_F_MRG_RXBUF } from '../../generated/virtio_net.js';
import { VIRTIO_BLK_S_IOERR, VIRTIO_BLK_S_OK, VIRTIO_BLK_S_UNSUPP, VIRTIO_BLK_T_FLUSH, VIRTIO_BLK_T_GET_ID, VIRTIO_BLK_T_IN, VIRTIO_BLK_T_OUT, virtio_blk_outhdr } from '../../generated/virtio_blk.js';
import { BlockRamDisk } from '../../runtime/virtio/block.js';
import { SplitQueueDevice } from '../../runtime/virtio/device-queue.js';
import { BufferRef } from '../../runtime/virtio/driver-queue.js';
import { NetLoopback } from '../../runtime/virtio/net-loopback.js';
import { DATA_AT, driverOn, identity, MAX_PIECE, MEM, randomRing, type Random, ringOf, RX_RING_AT, seeded, TX_RING_AT } from './random-rings.js';

/** A small disk: random sectors mostly fall outside it, and some inside. */
const DISK_SECTORS = 64n;
const bit = (b: number) => 1n << BigInt(b);
/** The loopback's feature sets: the two header sizes, and mergeable RX buffers with either. */
const NET_FEATURES = [0n, bit(VIRTIO_F_VERSION_1), bit(VIRTIO_NET_F_MRG_RXBUF), bit(VIRTIO_F_VERSION_1) | bit(VIRTIO_NET_F_MRG_RXBUF)];
/** Written where a status byte goes before the request is served: no status has this value. */
const NOT_A_STATUS = 0xff;

export interface DeviceFuzzSummary {
  cases: number;
  /** Block requests answered and frames looped back. */
  requests: number;
  frames: number;
  /** Cases that ended with a queue broken (the device then uses no ring until reset). */
  broken: number;
  failures: string[];
}

/** A queue's chains popped and not yet pushed (white-box: what the oracle checks). */
const inFlight = (q: SplitQueueDevice) => (q as unknown as { inFlight: number }).inFlight;

/**
 * Random ring states through the device models, run until they have nothing more to do, with
 * QEMU's oracle: every chain a device takes comes back used, or a queue is broken, within a
 * bounded number of runs; nothing throws. Block: one random queue in front of a RAM disk, whose
 * requests may be anything a ring holds. Net: random TX and RX queues in front of the loopback,
 * where one TX frame may wait for RX buffers (as the loopback does), holding those it has when
 * they are mergeable, and nothing else may stay.
 * The buffers may point anywhere in the memory, the rings themselves included, so a device's
 * writes may change what it reads next: that too must end.
 */
export function fuzzDevices(cases: number, seed: number): DeviceFuzzSummary {
  const r = seeded(seed);
  const mem = new Uint8Array(MEM);
  const dma = identity(mem);
  const half = MEM / 2;
  const summary: DeviceFuzzSummary = { cases, requests: 0, frames: 0, broken: 0, failures: [] };
  for (let c = 0; c < cases; c++) {
    const block = c % 2 === 0;
    try {
      const rings = block ? [randomRing(r, mem)] : [randomRing(r, mem, 0, half), randomRing(r, mem, half, half)];
      const eventIdx = r.next() < 0.5;
      const queues = rings.map((g) => new SplitQueueDevice(g.num, g.addrs, dma, eventIdx, g.start));
      const disk = block ? new BlockRamDisk(queues[0], DISK_SECTORS, 'fuzz') : undefined;
      const net = block ? undefined : new NetLoopback(queues[1], queues[0], NET_FEATURES[r.pick(NET_FEATURES.length)]);
      const bound = 4 * Math.max(...rings.map((g) => g.num)) + 4;
      let runs = 0;
      for (;;) {
        const budget = 1 + r.pick(rings[0].num);
        const n = disk ? disk.run(budget) : net!.run(budget);
        if (n === 0) break;
        if (++runs > bound) {
          summary.failures.push(`case ${c} (seed ${seed}): still working after ${bound} runs`);
          break;
        }
      }
      summary.requests += disk?.stats.requests ?? 0;
      summary.frames += net?.stats.frames ?? 0;
      if (queues.some((q) => q.broken)) {
        summary.broken++;
        continue;
      }
      const held = queues.map(inFlight);
      // A TX frame may wait for RX buffers, holding those it has when they are mergeable.
      const lost = block ? held[0] !== 0 : held[0] > 1 || (held[1] !== 0 && !(held[0] === 1 && net!.mergeable));
      if (lost) summary.failures.push(`case ${c} (seed ${seed}): chains popped and never pushed, no queue broken: ${held.join(' and ')} in flight`);
    } catch (e) {
      summary.failures.push(`case ${c} (seed ${seed}): ${e instanceof Error ? e.stack : String(e)}`);
    }
  }
  return summary;
}



/**
 * Buffers one after another in the data region, a random gap before each, none overlapping
 * (a status byte another buffer covered could be rewritten by that buffer's chain), until the
 * region is spent: then undefined.
 */
function pieces(r: Random): (length: number) => BufferRef | undefined {
  let next = DATA_AT;
  return (length) => {
    const at = next + r.pick(64);
    if (at + length > MEM) return undefined;
    next = at + length;
    return { iova: at, length };
  };
}

/**
 * Well-formed rings with random contents, from SplitQueueDriver: the device models' own parsing
 * under fuzz (block request headers of any type, sector and length; frames of any length, RX
 * buffers too small for them). Oracle: every chain comes back to the driver, whose checks refuse
 * a used length past a chain's writable bytes, and a block request with a header and a status
 * byte is answered with OK, IOERR or UNSUPP in that byte.
 */
export function fuzzDeviceRequests(cases: number, seed: number): DeviceFuzzSummary {
  const r = seeded(seed);
  const mem = new Uint8Array(MEM);
  const dma = identity(mem);
  const summary: DeviceFuzzSummary = { cases, requests: 0, frames: 0, broken: 0, failures: [] };
  const fail = (c: number, why: string) => summary.failures.push(`case ${c} (seed ${seed}): ${why}`);
  const types = [VIRTIO_BLK_T_IN, VIRTIO_BLK_T_OUT, VIRTIO_BLK_T_FLUSH, VIRTIO_BLK_T_GET_ID];
  for (let c = 0; c < cases; c++) {
    const num = 1 << (1 + r.pick(6));
    const eventIdx = r.next() < 0.5;
    const lengthOf = () => (r.next() < 0.3 ? r.pick(24) : r.pick(MAX_PIECE));
    const piece = pieces(r);
    /** `n` buffers of lengthOf() (or `length`), or undefined once the data region is spent. */
    const buffers = (n: number, length?: () => number): BufferRef[] | undefined => {
      const out: BufferRef[] = [];
      for (let k = 0; k < n; k++) {
        const b = piece(length ? length() : lengthOf());
        if (!b) return undefined;
        out.push(b);
      }
      return out;
    };
    try {
      if (c % 2 === 0) {
        const driver = driverOn(mem, TX_RING_AT, num);
        const queue = new SplitQueueDevice(num, ringOf(driver), dma, eventIdx, 0, 'same-thread');
        const disk = new BlockRamDisk(queue, DISK_SECTORS, 'fuzz');
        /** Per head: where its status byte is, when the request has a whole header and a writable byte. */
        const statusAt: number[] = [];
        let chains = 0;
        for (let k = 1 + r.pick(num); k > 0; k--) {
          const readable = buffers(r.pick(3) + (r.next() < 0.9 ? 1 : 0), () => (r.next() < 0.7 ? virtio_blk_outhdr.size : lengthOf()));
          const writable = buffers(r.pick(4));
          if (!readable || !writable || readable.length + writable.length > driver.free) break;
          if (readable.length + writable.length === 0) continue;
          for (const b of readable) {
            const at = Number(b.iova);
            for (let i = 0; i < b.length; i++) mem[at + i] = r.pick(256);
            if (b.length >= virtio_blk_outhdr.size) {
              const dv = new DataView(mem.buffer, at);
              dv.setUint32(virtio_blk_outhdr.offsetOf('type'), r.next() < 0.9 ? types[r.pick(types.length)] : r.pick(0x10000), true);
              dv.setBigUint64(virtio_blk_outhdr.offsetOf('sector'), r.next() < 0.8 ? BigInt(r.pick(Number(DISK_SECTORS) + 4)) : BigInt(r.pick(0x7fffffff)) << 32n, true);
            }
          }
          const head = driver.add(readable, writable, k);
          chains++;
          const headerWhole = readable.reduce((n, b) => n + b.length, 0) >= virtio_blk_outhdr.size;
          const last = writable.filter((b) => b.length > 0).pop();
          statusAt[head] = headerWhole && last ? Number(last.iova) + last.length - 1 : -1;
          if (statusAt[head] >= 0) mem[statusAt[head]] = NOT_A_STATUS;
        }
        driver.publish();
        while (disk.run(1 + r.pick(num)) > 0);
        let back = 0;
        for (let head = driver.popUsed(); head >= 0; head = driver.popUsed()) {
          back++;
          const at = statusAt[head];
          if (at >= 0 && ![VIRTIO_BLK_S_OK, VIRTIO_BLK_S_IOERR, VIRTIO_BLK_S_UNSUPP].includes(mem[at])) fail(c, `block request (head ${head}) answered with status ${mem[at]}`);
        }
        summary.requests += disk.stats.requests;
        if (queue.broken) fail(c, `a ring the driver made broke the queue: ${queue.broken.message}`);
        if (back !== chains || driver.free !== num) fail(c, `${back} of ${chains} requests came back, ${driver.free} of ${num} descriptors free`);
      } else {
        const tx = driverOn(mem, TX_RING_AT, num);
        const rx = driverOn(mem, RX_RING_AT, num);
        const txq = new SplitQueueDevice(num, ringOf(tx), dma, eventIdx, 0, 'same-thread');
        const rxq = new SplitQueueDevice(num, ringOf(rx), dma, eventIdx, 0, 'same-thread');
        const net = new NetLoopback(rxq, txq, NET_FEATURES[r.pick(NET_FEATURES.length)]);
        const sizes = (b: BufferRef[]) => b.reduce((n, p) => n + p.length, 0);
        /** Per frame, the bytes it takes on RX (its header at least); per RX chain, what it can hold. */
        const needs: number[] = [];
        const rxRoom: number[] = [];
        for (let k = 1 + r.pick(num); k > 0; k--) {
          const b = buffers(1 + r.pick(3));
          if (!b || b.length > tx.free) break;
          for (const p of b) for (let i = 0; i < p.length; i++) mem[Number(p.iova) + i] = r.pick(256);
          tx.add(b, [], needs.length);
          // A chain shorter than the header holds no frame: returned used, no RX buffer taken.
          needs.push(sizes(b) < net.headerSize ? MALFORMED : sizes(b));
        }
        for (let k = r.pick(num + 1); k > 0; k--) {
          const b = buffers(1 + r.pick(3));
          if (!b || b.length > rx.free) break;
          rx.add([], b, rxRoom.length);
          rxRoom.push(sizes(b));
        }
        tx.publish();
        rx.publish();
        while (net.run(1 + r.pick(num)) > 0);
        let sent = 0;
        let received = 0;
        while (tx.popUsed() >= 0) sent++;
        while (rx.popUsed() >= 0) received++;
        summary.frames += net.stats.frames;
        if (txq.broken || rxq.broken) fail(c, `a ring the driver made broke a queue: ${(txq.broken ?? rxq.broken)!.message}`);
        const want = expectedLoopback(needs, rxRoom, num, net.mergeable);
        if (sent !== want.sent || received !== want.received) fail(c, `${needs.length} frames and ${rxRoom.length} RX chains (mergeable ${net.mergeable}): ${sent} sent and ${received} received, not ${want.sent} and ${want.received}`);
      }
    } catch (e) {
      fail(c, e instanceof Error ? (e.stack ?? e.message) : String(e));
    }
  }
  return summary;
}

/** A TX chain shorter than the virtio-net header, in `needs`. */
const MALFORMED = -1;

/**
 * What the loopback must do with frames needing `needs` bytes each and RX chains holding
 * `rxRoom`, in ring order: a frame takes one chain, or under MRG_RXBUF chains until they hold
 * it or a whole ring is taken; frames go in order, and the first that finds too few waits. A
 * malformed chain is returned used and takes no RX chain.
 */
function expectedLoopback(needs: number[], rxRoom: number[], num: number, mergeable: boolean): { sent: number; received: number } {
  let sent = 0;
  let received = 0;
  for (const need of needs) {
    if (need === MALFORMED) {
      sent++;
      continue;
    }
    let taken = 0;
    let room = 0;
    while (taken === 0 || (mergeable && room < need && taken < num)) {
      if (received + taken === rxRoom.length) return { sent, received };
      room += rxRoom[received + taken++];
    }
    sent++;
    received += taken;
  }
  return { sent, received };
}

export function deviceReport(d: DeviceFuzzSummary, what: string): string {
  return `device fuzz: ${d.cases} ${what} through the block RAM disk and the net loopback: ${d.requests} requests answered, ${d.frames} frames looped; ${d.broken} ended with a queue broken; ${d.failures.length} uncaught exceptions, unbounded runs, chains lost or wrong answers`;
}
