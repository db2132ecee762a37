// The driver side under fuzz, against a hostile device: whatever used entries it writes, the
// driver takes only chains in flight, each once, within their writable bytes, or refuses with a
// DriverRingError, and its free list stays whole.
import { DESC, USED } from '../../runtime/virtio/split-layout.js';
import { DriverRingError } from '../../runtime/virtio/driver-queue.js';
import { VRING_DESC_F_NEXT } from '../../generated/virtio_ring.js';
import { DATA_AT, driverOn, MAX_PIECE, MEM, seeded, TX_RING_AT } from './random-rings.js';

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
