// Random split-ring states through the device side: desc tables, avail rings and indirect
// tables full of biased random values, one case in four through an IOMMU of many mappings
// that meet (a chain's pieces must each lie in one, with its access). Every case must end with chains popped or the queue
// broken with a RingError; nothing may throw, and pop() is called at most num + 2 times, so a
// hang would show as a queue that keeps answering (counted as a failure). Every other case goes
// through the burst forms instead (popBurst, pushBurst), which are bounded by their arrays.
// Run as a command, it then runs the device models' fuzz (device-models.ts), the driver
// side's (driver.ts) and the notification decisions' (notifications.ts). `npm run fuzz` runs
// 1,000,000 ring states, a tenth as many of each of the next two and a fiftieth as many
// interleavings (one in fifty of those runs a stretch of tens of thousands of chains);
// `npm test` a short run of each.
import { fileURLToPath } from 'node:url';
import { casesAndSeed, scriptArgs } from '../../generator/tools/script-args.js';
import { Chain, RingFault, SplitQueueDevice } from '../../runtime/virtio/device-queue.js';
import { deviceReport, fuzzDeviceRequests, fuzzDevices } from './device-models.js';
import { driverReport, fuzzDriver } from './driver.js';
import { fuzzNotifications, notificationReport } from './notifications.js';
import { fragmented, identity, MEM, randomRing, seeded } from './random-rings.js';
import { splitSizes } from '../../runtime/virtio/split-layout.js';

export interface RingFuzzSummary {
  cases: number;
  chains: number;
  /** Cases through an IOMMU of many mappings that meet (fragmented()), and their chains with a buffer split where two meet. */
  fragmented: number;
  split: number;
  clean: number;
  broken: Partial<Record<RingFault, number>>;
  failures: string[];
}


export function fuzzRings(cases: number, seed: number): RingFuzzSummary {
  const r = seeded(seed);
  const mem = new Uint8Array(MEM);
  const dma = identity(mem);
  const summary: RingFuzzSummary = { cases, chains: 0, fragmented: 0, split: 0, clean: 0, broken: {}, failures: [] };
  const heads = new Uint16Array(1 << 8);
  const written = new Uint32Array(heads.length);
  const held = new Uint8Array(heads.length);
  for (let c = 0; c < cases; c++) {
    const ring = randomRing(r, mem);
    const num = ring.num;
    // One case in four through an IOMMU of many mappings past the rings: buffers across where
    // two meet go into chains in pieces, and each piece must lie in one mapping with its access.
    const iommu = c % 4 === 3 ? fragmented(r, mem, Number(ring.addrs.used) + splitSizes(num).used) : undefined;
    if (iommu) summary.fragmented++;
    /** Checks a chain about to be pushed: its pieces (through a fragmented IOMMU). */
    const look = (chain: Chain) => {
      if (!iommu) return;
      const stray = iommu.strayPiece(chain);
      if (stray) summary.failures.push(`case ${c} (seed ${seed}): head ${chain.head}: ${stray}`);
      for (let k = 1; k < chain.count; k++) {
        if (chain.offsets[k - 1] + chain.lengths[k - 1] === chain.offsets[k] && chain.lengths[k - 1] > 0) {
          summary.split++;
          break;
        }
      }
    };
    try {
      const q = new SplitQueueDevice(num, ring.addrs, iommu?.dma ?? dma, r.next() < 0.5, ring.start);
      if (c % 2 === 0) {
        // Every other case pops all it can in one burst and pushes them in one: the same chains
        // and faults as one at a time (the counts did not change when bursts came), but for a
        // head offered twice, which only a device still holding the first finds (head-in-flight).
        // A burst's heads are distinct: a pooled chain walked twice would be two of them.
        const n = q.popBurst(heads);
        held.fill(0);
        for (let k = 0; k < n; k++) {
          if (held[heads[k]]++ === 1) summary.failures.push(`case ${c}: head ${heads[k]} popped twice in one burst`);
        }
        for (let k = 0; k < n; k++) {
          const chain = q.chainOf(heads[k]);
          look(chain);
          written[k] = chain.writableLength;
        }
        q.pushBurst(heads, written, n);
        summary.chains += n;
        if (q.popBurst(heads) > 0 && !q.broken) summary.failures.push(`case ${c}: a second burst found chains the first left`);
      } else {
        let pops = 0;
        for (let chain = q.pop(); chain; chain = q.pop()) {
          summary.chains++;
          look(chain);
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


export function ringReport(r: RingFuzzSummary): string {
  const faults = Object.entries(r.broken).sort(([a], [b]) => a.localeCompare(b)).map(([k, n]) => `${k} ${n}`).join(', ');
  return `ring fuzz: ${r.cases} random ring states through the device side (${r.fragmented} through an IOMMU of many mappings that meet, ${r.split} chains there with a buffer split where two meet): ${r.chains} chains popped; ${r.clean} ended clean, ${r.cases - r.clean} broken (${faults}); ${r.failures.length} uncaught exceptions or unbounded pops`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { cases, seed } = scriptArgs({ name: 'rings.js', usage: 'node dist/test/fuzz/rings.js [--cases N] [--seed S]' }, (args) => casesAndSeed({ cases: 1_000_000, seed: 1 }, args));
  const r = fuzzRings(cases, seed);
  console.log(ringReport(r));
  for (const f of r.failures.slice(0, 5)) console.log(`  ${f}`);
  // The device models run far more per case (copies, requests): a tenth as many cases.
  const d = fuzzDevices(Math.ceil(cases / 10), seed);
  console.log(deviceReport(d, 'random ring states'));
  for (const f of d.failures.slice(0, 5)) console.log(`  ${f}`);
  const q = fuzzDeviceRequests(Math.ceil(cases / 10), seed);
  console.log(deviceReport(q, 'well-formed rings of random requests and frames'));
  for (const f of q.failures.slice(0, 5)) console.log(`  ${f}`);
  const v = fuzzDriver(Math.ceil(cases / 10), seed);
  console.log(driverReport(v));
  for (const f of v.failures.slice(0, 5)) console.log(`  ${f}`);
  const n = fuzzNotifications(Math.ceil(cases / 50), seed);
  console.log(notificationReport(n));
  for (const f of n.failures.slice(0, 5)) console.log(`  ${f}`);
  process.exitCode = r.failures.length || d.failures.length || q.failures.length || v.failures.length || n.failures.length ? 1 : 0;
}
