// Random split-ring states through the device side: desc tables, avail rings and indirect
// tables full of biased random values. Every case must end with chains popped or the queue
// broken with a RingError; nothing may throw, and pop() is called at most num + 2 times, so a
// hang would show as a queue that keeps answering (counted as a failure). Every other case goes
// through the burst forms instead (popBurst, pushBurst), which are bounded by their arrays.
// `npm run fuzz` runs 1,000,000 cases; `npm test` a short run.
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { VRING_DESC_F_INDIRECT, VRING_DESC_F_NEXT, VRING_DESC_F_WRITE } from '../../generated/virtio_ring.js';
import { DmaView, RingFault, SplitQueueDevice } from '../../runtime/virtio/device-queue.js';
import { ALIGN, AVAIL, DESC, splitSizes } from '../../runtime/virtio/split-layout.js';

const MEM = 1 << 16;
const FLAGS = [0, VRING_DESC_F_NEXT, VRING_DESC_F_WRITE, VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, VRING_DESC_F_INDIRECT, VRING_DESC_F_INDIRECT | VRING_DESC_F_NEXT];

export interface RingFuzzSummary {
  cases: number;
  chains: number;
  clean: number;
  broken: Partial<Record<RingFault, number>>;
  failures: string[];
}

export function fuzzRings(cases: number, seed: number): RingFuzzSummary {
  let s = seed >>> 0;
  const random = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 0x1_0000_0000);
  const pick = (n: number) => Math.floor(random() * n);
  const mem = new Uint8Array(MEM);
  const dv = new DataView(mem.buffer);
  const dma: DmaView = {
    memory: mem,
    translate: (iova, length) => {
      if (iova + length > MEM) throw new Error('unmapped');
      return iova;
    },
  };
  const summary: RingFuzzSummary = { cases, chains: 0, clean: 0, broken: {}, failures: [] };
  const heads = new Uint16Array(1 << 8);
  const written = new Uint32Array(heads.length);
  for (let c = 0; c < cases; c++) {
    const num = 1 << (1 + pick(8));
    const sizes = splitSizes(num);
    const descAt = 0;
    const availAt = sizes.desc;
    const usedAt = Math.ceil((availAt + sizes.avail) / ALIGN.used) * ALIGN.used;
    // Descriptors: small addresses mostly inside memory, sometimes anywhere.
    for (let i = 0; i < num; i++) {
      const at = descAt + i * DESC.size;
      const addr = random() < 0.9 ? BigInt(pick(MEM)) : BigInt(pick(0x7fffffff)) * BigInt(pick(0x7fffffff)) * 4n;
      dv.setBigUint64(at + DESC.addr, addr, true);
      dv.setUint32(at + DESC.len, random() < 0.8 ? pick(256) : random() < 0.5 ? DESC.size * pick(8) : pick(0xffffffff), true);
      dv.setUint16(at + DESC.flags, random() < 0.9 ? FLAGS[pick(FLAGS.length)] : pick(0x10000), true);
      dv.setUint16(at + DESC.next, random() < 0.8 ? pick(num) : pick(0x10000), true);
    }
    // Indirect tables may land anywhere in memory: scribble some descriptors there too.
    for (let k = 0; k < 4; k++) {
      const at = usedAt + sizes.used + pick(MEM - usedAt - sizes.used - DESC.size);
      dv.setUint16(at + DESC.flags, FLAGS[pick(FLAGS.length)], true);
      dv.setUint16(at + DESC.next, pick(8), true);
    }
    for (let i = 0; i < num; i++) dv.setUint16(availAt + AVAIL.ring + AVAIL.entry * i, random() < 0.9 ? pick(num) : pick(0x10000), true);
    const start = pick(0x10000);
    const idx = random() < 0.8 ? (start + pick(num + 1)) & 0xffff : pick(0x10000);
    dv.setUint16(availAt + AVAIL.idx, idx, true);
    try {
      const q = new SplitQueueDevice(num, { desc: BigInt(descAt), avail: BigInt(availAt), used: BigInt(usedAt) }, dma, random() < 0.5, start);
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


export function ringReport(r: RingFuzzSummary): string {
  const faults = Object.entries(r.broken).sort(([a], [b]) => a.localeCompare(b)).map(([k, n]) => `${k} ${n}`).join(', ');
  return `ring fuzz: ${r.cases} random ring states through the device side: ${r.chains} chains popped; ${r.clean} ended clean, ${r.cases - r.clean} broken (${faults}); ${r.failures.length} uncaught exceptions or unbounded pops`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { cases: { type: 'string', default: '1000000' }, seed: { type: 'string', default: '1' } } });
  const r = fuzzRings(Number(values.cases), Number(values.seed));
  console.log(ringReport(r));
  for (const f of r.failures.slice(0, 5)) console.log(`  ${f}`);
  process.exitCode = r.failures.length ? 1 : 0;
}
