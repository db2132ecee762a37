// Random split-ring states through the device side: desc tables, avail rings and indirect
// tables full of biased random values. Every case must end with chains popped or the queue
// broken with a RingError; nothing may throw, and pop() is called at most num + 2 times, so a
// hang would show as a queue that keeps answering (counted as a failure). Every other case goes
// through the burst forms instead (popBurst, pushBurst), which are bounded by their arrays.
// Then the device models (block RAM disk, net loopback) behind such rings, and behind
// well-formed rings of random requests and frames: QEMU's oracle, every chain comes back used
// or a queue is broken, in a bounded number of runs, and every answer is one the driver takes.
// Last the driver side against hostile used rings: it takes only chains in flight, each once,
// or refuses, and its free list stays whole.
// `npm run fuzz` runs 1,000,000 ring states and a tenth as many of each device case; `npm test`
// a short run.
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { VRING_DESC_F_INDIRECT, VRING_DESC_F_NEXT, VRING_DESC_F_WRITE } from '../../generated/virtio_ring.js';
import { DmaView, RingFault, SplitQueueDevice } from '../../runtime/virtio/device-queue.js';
import { ALIGN, AVAIL, DESC, splitSizes, USED } from '../../runtime/virtio/split-layout.js';
import { BlockRamDisk } from '../../runtime/virtio/block.js';
import { NetLoopback } from '../../runtime/virtio/net-loopback.js';
import { VIRTIO_F_VERSION_1 } from '../../generated/virtio_config.js';
import { VIRTIO_BLK_S_IOERR, VIRTIO_BLK_S_OK, VIRTIO_BLK_S_UNSUPP, VIRTIO_BLK_T_FLUSH, VIRTIO_BLK_T_GET_ID, VIRTIO_BLK_T_IN, VIRTIO_BLK_T_OUT, virtio_blk_outhdr } from '../../generated/virtio_blk.js';
import { BufferRef, DriverRingError, SplitQueueDriver } from '../../runtime/virtio/driver-queue.js';

/** A small disk: random sectors mostly fall outside it, and some inside. */
const DISK_SECTORS = 64n;
const FEATURES_VERSION_1 = 1n << BigInt(VIRTIO_F_VERSION_1);

const MEM = 1 << 16;
const FLAGS = [0, VRING_DESC_F_NEXT, VRING_DESC_F_WRITE, VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, VRING_DESC_F_INDIRECT, VRING_DESC_F_INDIRECT | VRING_DESC_F_NEXT];

export interface RingFuzzSummary {
  cases: number;
  chains: number;
  clean: number;
  broken: Partial<Record<RingFault, number>>;
  failures: string[];
}

/** The fuzzers' random numbers: a seeded LCG, so a failing case is found again from its seed. */
export interface Random {
  /** In [0, 1). */
  next(): number;
  /** A whole number in [0, n). */
  pick(n: number): number;
}

export function seeded(seed: number): Random {
  let s = seed >>> 0;
  const next = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 0x1_0000_0000);
  return { next, pick: (n) => Math.floor(next() * n) };
}

/** Where a random ring was written and the avail index the driver starts from (SET_VRING_BASE). */
export interface RandomRing {
  num: number;
  addrs: { desc: bigint; avail: bigint; used: bigint };
  start: number;
  /** Chains the avail index offers past `start` (more than `num` is itself a fault). */
  offered: number;
}

/**
 * A random split-ring state in `mem` from byte `base` on (within `span` bytes): descriptors with
 * addresses mostly inside the memory (sometimes anywhere), lengths, flags and next fields mostly
 * plausible, a few descriptors scribbled where indirect tables may point, avail entries and an
 * avail index mostly within the ring.
 */
export function randomRing(r: Random, mem: Uint8Array, base = 0, span = mem.length - base): RandomRing {
  const dv = new DataView(mem.buffer, mem.byteOffset, mem.byteLength);
  const num = 1 << (1 + r.pick(8));
  const sizes = splitSizes(num);
  const descAt = base;
  const availAt = descAt + sizes.desc;
  const usedAt = Math.ceil((availAt + sizes.avail) / ALIGN.used) * ALIGN.used;
  for (let i = 0; i < num; i++) {
    const at = descAt + i * DESC.size;
    const addr = r.next() < 0.9 ? BigInt(r.pick(mem.length)) : BigInt(r.pick(0x7fffffff)) * BigInt(r.pick(0x7fffffff)) * 4n;
    dv.setBigUint64(at + DESC.addr, addr, true);
    dv.setUint32(at + DESC.len, r.next() < 0.8 ? r.pick(256) : r.next() < 0.5 ? DESC.size * r.pick(8) : r.pick(0xffffffff), true);
    dv.setUint16(at + DESC.flags, r.next() < 0.9 ? FLAGS[r.pick(FLAGS.length)] : r.pick(0x10000), true);
    dv.setUint16(at + DESC.next, r.next() < 0.8 ? r.pick(num) : r.pick(0x10000), true);
  }
  // Indirect tables may land anywhere in memory: scribble some descriptors there too.
  const tail = usedAt + sizes.used;
  for (let k = 0; k < 4; k++) {
    const at = tail + r.pick(base + span - tail - DESC.size);
    dv.setUint16(at + DESC.flags, FLAGS[r.pick(FLAGS.length)], true);
    dv.setUint16(at + DESC.next, r.pick(8), true);
  }
  for (let i = 0; i < num; i++) dv.setUint16(availAt + AVAIL.ring + AVAIL.entry * i, r.next() < 0.9 ? r.pick(num) : r.pick(0x10000), true);
  const start = r.pick(0x10000);
  const idx = r.next() < 0.8 ? (start + r.pick(num + 1)) & 0xffff : r.pick(0x10000);
  dv.setUint16(availAt + AVAIL.idx, idx, true);
  return { num, addrs: { desc: BigInt(descAt), avail: BigInt(availAt), used: BigInt(usedAt) }, start, offered: (idx - start) & 0xffff };
}

export function fuzzRings(cases: number, seed: number): RingFuzzSummary {
  const r = seeded(seed);
  const mem = new Uint8Array(MEM);
  const dma = identity(mem);
  const summary: RingFuzzSummary = { cases, chains: 0, clean: 0, broken: {}, failures: [] };
  const heads = new Uint16Array(1 << 8);
  const written = new Uint32Array(heads.length);
  for (let c = 0; c < cases; c++) {
    const ring = randomRing(r, mem);
    const num = ring.num;
    try {
      const q = new SplitQueueDevice(num, ring.addrs, dma, r.next() < 0.5, ring.start);
      if (c % 2 === 0) {
        // Every other case pops all it can in one burst and pushes them in one: the same chains
        // and faults as one at a time, which the counts, unchanged by bursts, show.
        const n = q.popBurst(heads);
        for (let k = 0; k < n; k++) written[k] = q.chainOf(heads[k]).writableLength;
        q.pushBurst(heads, written, n);
        summary.chains += n;
        if (q.popBurst(heads) > 0 && !q.broken) summary.failures.push(`case ${c}: a second burst found chains the first left`);
      } else {
        let pops = 0;
        for (let chain = q.pop(); chain; chain = q.pop()) {
          summary.chains++;
          q.push(chain.head, chain.writableLength);
          if (++pops > num + 1) {
            summary.failures.push(`case ${c}: pop answered ${pops} chains on a ring of ${num}`);
            break;
          }
        }
      }
      if (q.broken) summary.broken[q.broken.fault] = (summary.broken[q.broken.fault] ?? 0) + 1;
      else summary.clean++;
    } catch (e) {
      summary.failures.push(`case ${c} (seed ${seed}): ${e instanceof Error ? e.stack : String(e)}`);
    }
  }
  return summary;
}

/** IOVA = offset over all of `mem`. */
function identity(mem: Uint8Array): DmaView {
  return {
    memory: mem,
    translate: (iova, length) => {
      if (iova + length > mem.length) throw new Error('unmapped');
      return iova;
    },
  };
}

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
 * where one TX frame may wait for an RX buffer (as the loopback does) and nothing else may stay.
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
      const net = block ? undefined : new NetLoopback(queues[1], queues[0], r.next() < 0.5 ? FEATURES_VERSION_1 : 0n);
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
      const lost = block ? held[0] !== 0 : held[0] > 1 || held[1] !== 0;
      if (lost) summary.failures.push(`case ${c} (seed ${seed}): chains popped and never pushed, no queue broken: ${held.join(' and ')} in flight`);
    } catch (e) {
      summary.failures.push(`case ${c} (seed ${seed}): ${e instanceof Error ? e.stack : String(e)}`);
    }
  }
  return summary;
}

/** Where the well-formed cases put their rings and buffers in the fuzz memory. */
const TX_RING_AT = 0;
const RX_RING_AT = MEM / 8;
const DATA_AT = MEM / 4;
const MAX_PIECE = 1100;
/** Written where a status byte goes before the request is served: no status has this value. */
const NOT_A_STATUS = 0xff;

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

function driverOn(mem: Uint8Array, at: number, num: number): SplitQueueDriver<number> {
  const sizes = splitSizes(num);
  const span = (off: number, len: number) => ({ iova: BigInt(off), bytes: mem.subarray(off, off + len) });
  const avail = at + sizes.desc;
  const used = Math.ceil((avail + sizes.avail) / ALIGN.used) * ALIGN.used;
  return new SplitQueueDriver<number>(num, { desc: span(at, sizes.desc), avail: span(avail, sizes.avail), used: span(used, sizes.used) }, false, 'same-thread');
}

const ringOf = (d: SplitQueueDriver<number>) => ({ desc: d.rings.desc.iova as bigint, avail: d.rings.avail.iova as bigint, used: d.rings.used.iova as bigint });

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
        const net = new NetLoopback(rxq, txq, r.next() < 0.5 ? FEATURES_VERSION_1 : 0n);
        let frames = 0;
        for (let k = 1 + r.pick(num); k > 0; k--) {
          const b = buffers(1 + r.pick(3));
          if (!b || b.length > tx.free) break;
          for (const p of b) for (let i = 0; i < p.length; i++) mem[Number(p.iova) + i] = r.pick(256);
          tx.add(b, [], frames++);
        }
        let rxChains = 0;
        for (let k = r.pick(num + 1); k > 0; k--) {
          const b = buffers(1 + r.pick(3));
          if (!b || b.length > rx.free) break;
          rx.add([], b, rxChains++);
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
        const moved = Math.min(frames, rxChains);
        if (sent !== moved || received !== moved) fail(c, `${frames} frames and ${rxChains} RX chains: ${sent} sent and ${received} received, not ${moved} each`);
      }
    } catch (e) {
      fail(c, e instanceof Error ? (e.stack ?? e.message) : String(e));
    }
  }
  return summary;
}

export interface DriverFuzzSummary {
  cases: number;
  /** Used entries the driver took, and the cases where it refused one (DriverRingError). */
  collected: number;
  refused: number;
  failures: string[];
}

/** The descriptors of the chain at `head`, as the driver wrote them into its table (NEXT links). */
function chainDescriptors(dv: DataView, descAt: number, num: number, head: number): number[] {
  const out: number[] = [];
  for (let i = head; out.length <= num; ) {
    out.push(i);
    const at = descAt + i * DESC.size;
    if (!(dv.getUint16(at + DESC.flags, true) & VRING_DESC_F_NEXT)) break;
    i = dv.getUint16(at + DESC.next, true);
  }
  return out;
}

/**
 * The driver side against a hostile device: chains of random shape in flight, then used entries
 * of random ids (heads in flight, descriptors inside a chain, anything) and lengths (within the
 * writable bytes or not), and a used index that may jump. Whatever the device wrote, the driver
 * takes only chains in flight, each once, with a length they could hold, or refuses with a
 * DriverRingError; its free list stays whole: the descriptors it hands out next belong to no
 * chain still in flight, and every one comes back.
 */
export function fuzzDriver(cases: number, seed: number): DriverFuzzSummary {
  const r = seeded(seed);
  const mem = new Uint8Array(MEM);
  const dv = new DataView(mem.buffer);
  const summary: DriverFuzzSummary = { cases, collected: 0, refused: 0, failures: [] };
  for (let c = 0; c < cases; c++) {
    const fail = (why: string) => summary.failures.push(`case ${c} (seed ${seed}): ${why}`);
    const num = 1 << (1 + r.pick(8));
    const driver = driverOn(mem, TX_RING_AT, num);
    const descAt = Number(driver.rings.desc.iova);
    const usedAt = Number(driver.rings.used.iova);
    try {
      /** Per head in flight: its descriptors and writable bytes. */
      const inFlight = new Map<number, { descs: number[]; writable: number }>();
      const owner = new Map<number, number>();
      const addChain = (): boolean => {
        const nr = r.pick(3);
        const nw = r.pick(3) + (nr === 0 ? 1 : 0);
        if (nr + nw > driver.free) return false;
        const buf = () => ({ iova: DATA_AT + r.pick(MEM - DATA_AT - MAX_PIECE), length: r.pick(MAX_PIECE) });
        const readable = Array.from({ length: nr }, buf);
        const writable = Array.from({ length: nw }, buf);
        const head = driver.add(readable, writable, c);
        const descs = chainDescriptors(dv, descAt, num, head);
        for (const d of descs) {
          if (owner.has(d)) fail(`descriptor ${d} handed out to head ${head} while head ${owner.get(d)} holds it`);
          owner.set(d, head);
        }
        inFlight.set(head, { descs, writable: writable.reduce((n, b) => n + b.length, 0) });
        return true;
      };
      for (let k = r.pick(num) + 1; k > 0 && addChain(); k--);
      driver.publish();
      // The device's answers: mostly chains in flight, some descriptors inside a chain, some anything.
      const heads = [...inFlight.keys()];
      const entries = r.next() < 0.9 ? r.pick(num + 1) : r.pick(0x10000);
      for (let k = 0; k < Math.min(entries, num); k++) {
        const e = usedAt + USED.ring + USED.elem * k;
        const roll = r.next();
        const id = roll < 0.7 && heads.length ? heads[r.pick(heads.length)] : roll < 0.85 ? r.pick(num) : r.pick(0x100000);
        const room = inFlight.get(id)?.writable ?? 0;
        dv.setUint32(e + USED.id, id, true);
        dv.setUint32(e + USED.len, r.next() < 0.8 ? r.pick(room + 1) : r.pick(0x100000), true);
      }
      dv.setUint16(usedAt + USED.idx, entries & 0xffff, true);
      const taken = new Set<number>();
      for (let k = 0; k <= num + 1; k++) {
        let head: number;
        try {
          head = driver.popUsed();
        } catch (e) {
          if (!(e instanceof DriverRingError)) throw e;
          summary.refused++;
          break;
        }
        if (head < 0) break;
        summary.collected++;
        const chain = inFlight.get(head);
        if (!chain) fail(`took head ${head}, not in flight`);
        else if (driver.usedLength > chain.writable) fail(`took length ${driver.usedLength} for head ${head} with ${chain.writable} writable bytes`);
        if (taken.has(head)) fail(`took head ${head} twice`);
        taken.add(head);
        for (const d of chain?.descs ?? []) owner.delete(d);
        inFlight.delete(head);
      }
      const held = [...inFlight.values()].reduce((n, ch) => n + ch.descs.length, 0);
      if (driver.free !== num - held) fail(`${driver.free} descriptors free, ${held} held by chains in flight, on a ring of ${num}`);
      // The free list hands out only descriptors no chain in flight holds (addChain checks each).
      // Each chain takes a descriptor at least: more than `num` adds means the list loops.
      let adds = 0;
      while (addChain()) if (++adds > num) {
        fail(`the free list handed out ${adds} chains on a ring of ${num}`);
        break;
      }
    } catch (e) {
      fail(e instanceof Error ? (e.stack ?? e.message) : String(e));
    }
  }
  return summary;
}

export function driverReport(d: DriverFuzzSummary): string {
  return `driver fuzz: ${d.cases} hostile used rings against the driver side: ${d.collected} used entries taken, ${d.refused} refused with a DriverRingError; ${d.failures.length} uncaught exceptions, entries taken that were not in flight, or free lists broken`;
}

export function deviceReport(d: DeviceFuzzSummary, what: string): string {
  return `device fuzz: ${d.cases} ${what} through the block RAM disk and the net loopback: ${d.requests} requests answered, ${d.frames} frames looped; ${d.broken} ended with a queue broken; ${d.failures.length} uncaught exceptions, unbounded runs, chains lost or wrong answers`;
}

export function ringReport(r: RingFuzzSummary): string {
  const faults = Object.entries(r.broken).sort(([a], [b]) => a.localeCompare(b)).map(([k, n]) => `${k} ${n}`).join(', ');
  return `ring fuzz: ${r.cases} random ring states through the device side: ${r.chains} chains popped; ${r.clean} ended clean, ${r.cases - r.clean} broken (${faults}); ${r.failures.length} uncaught exceptions or unbounded pops`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { cases: { type: 'string', default: '1000000' }, seed: { type: 'string', default: '1' } } });
  const r = fuzzRings(Number(values.cases), Number(values.seed));
  console.log(ringReport(r));
  for (const f of r.failures.slice(0, 5)) console.log(`  ${f}`);
  // The device models run far more per case (copies, requests): a tenth as many cases.
  const d = fuzzDevices(Math.ceil(Number(values.cases) / 10), Number(values.seed));
  console.log(deviceReport(d, 'random ring states'));
  for (const f of d.failures.slice(0, 5)) console.log(`  ${f}`);
  const q = fuzzDeviceRequests(Math.ceil(Number(values.cases) / 10), Number(values.seed));
  console.log(deviceReport(q, 'well-formed rings of random requests and frames'));
  for (const f of q.failures.slice(0, 5)) console.log(`  ${f}`);
  const v = fuzzDriver(Math.ceil(Number(values.cases) / 10), Number(values.seed));
  console.log(driverReport(v));
  for (const f of v.failures.slice(0, 5)) console.log(`  ${f}`);
  process.exitCode = r.failures.length || d.failures.length || q.failures.length || v.failures.length ? 1 : 0;
}
