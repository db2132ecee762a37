// Hostile rings given to a real device and to SplitQueueDevice on the same bytes: a ring and
// two data pages in DMA memory, each case of test/helpers/hostile-rings.ts written there and
// published, each device's verdict (refused, or every chain used) and ours side by side.
import { RingFault, SplitQueueDevice } from '../../runtime/virtio/device-queue.js';
import { chainBytes, EDGE_RINGS, GOOD_RINGS, HOSTILE_RINGS, type RingCase } from '../helpers/hostile-rings.js';
import { HOSTILE_NUM, writeCase, type RingArea } from '../helpers/ring-area.js';
import { expect, sleep } from './checks.js';

/** What SplitQueueDevice does with the case's bytes: the fault it breaks with, or the chains it took and whether a good ring's one chain holds the case's bytes. */
export function splitVerdict(a: RingArea, c: RingCase): { fault: RingFault | undefined; took: number; readsWhole: boolean; text: string } {
  writeCase(a, c).publish();
  const dev = new SplitQueueDevice(HOSTILE_NUM, { desc: a.rings.desc.iova, avail: a.rings.avail.iova, used: a.rings.used.iova }, a.ours, false);
  // Every chain is popped before any is pushed, as a device that takes a burst does: a head
  // offered twice is then seen while the device still holds it.
  const heads: number[] = [];
  const read: Uint8Array[] = [];
  for (let chain = dev.pop(); chain && heads.length <= HOSTILE_NUM + 1; chain = dev.pop()) {
    heads.push(chain.head);
    read.push(chainBytes(chain));
  }
  for (const head of heads) dev.push(head, 0);
  const took = heads.length;
  const fault = dev.broken?.fault;
  const want = c.reads?.(a.target);
  const readsWhole = want !== undefined && took === 1 && sameBytes(read[0], want);
  const bytes = read.reduce((n, b) => n + b.length, 0);
  return { fault, took, readsWhole, text: fault ?? `took ${took} (${bytes} bytes to read${want ? (readsWhole ? ', the ring\'s bytes' : ', not the ring\'s bytes') : ''})` };
}

export const sameBytes = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, i) => x === b[i]);

export interface DeviceVerdict {
  verdict: 'refused' | 'used' | 'no answer';
  detail: string;
  /** The device's own words for the ring, where it says any the guest can read. */
  said?: string[];
  /** For a good ring: whether what the device sent arrived, at the far end, as the bytes the ring's chain holds. */
  sentWhole?: boolean;
}

/** How long a device has to answer a kicked ring, by refusing it or using its chains: both answer within milliseconds. */
export const VERDICT_MS = 3000;

/** Waits for `refused()` or every offered chain used, bounded. */
export async function verdictOf(offered: number, usedIdx: () => number, refused: () => boolean | Promise<boolean>, how: string): Promise<DeviceVerdict> {
  const deadline = Date.now() + VERDICT_MS;
  for (;;) {
    if (await refused()) return { verdict: 'refused', detail: `${how}, ${usedIdx()} of ${offered} used` };
    if (usedIdx() === offered) return { verdict: 'used', detail: `used all ${offered}` };
    if (Date.now() > deadline) return { verdict: 'no answer', detail: `neither ${how} nor used after ${VERDICT_MS} ms (${usedIdx()} of ${offered} used)` };
    await sleep(5);
  }
}

/**
 * Every case given to `device` and to SplitQueueDevice on the same bytes, a line each. Asserts
 * that ours breaks with each hostile class's fault, that both take the good rings and send (or
 * hold) their bytes whole, and that the device refused at least one (else the harness cannot
 * see it refuse). `misreads` names good rings the device is known to send otherwise (the README's
 * table says how): those are printed, not asserted. Returns the summary.
 */
export async function compareHostile(name: string, a: RingArea, device: (c: RingCase) => Promise<DeviceVerdict>, misreads: readonly string[] = []): Promise<string> {
  let refused = 0;
  const took: string[] = [];
  for (const c of [...GOOD_RINGS, ...HOSTILE_RINGS, ...EDGE_RINGS]) {
    const d = await device(c);
    const o = splitVerdict(a, c);
    console.log(`KERNEL-TEST info hostile ring, ${c.name}: SplitQueueDevice ${o.text}; ${name} ${d.detail}${d.said?.length ? ` ("${d.said.join('"; "')}")` : ''}`);
    if (EDGE_RINGS.includes(c)) continue;
    if (c.fault === undefined) {
      expect(c.name, d.verdict === 'used' && o.readsWhole, `a good ring: ${name} ${d.detail}, SplitQueueDevice ${o.text}`);
      if (!misreads.includes(c.name)) expect(`${c.name}: sent whole`, d.sentWhole === true, `${name} ${d.detail}`);
      continue;
    }
    expect(c.name, o.fault === c.fault, `SplitQueueDevice ${o.text} on the real bytes, not ${c.fault}`);
    if (d.verdict === 'refused') refused++;
    else took.push(`${c.name} (${d.detail})`);
  }
  expect(`${name} refuses some`, refused > 0, `${name} refused no hostile ring: the harness does not see it refuse`);
  return `${HOSTILE_RINGS.length} hostile classes: SplitQueueDevice broke on each with its fault; ${name} refused ${refused}${took.length ? `, not ${took.join('; ')}` : ''}; ${GOOD_RINGS.length} good rings taken by both, their bytes sent whole${misreads.length ? ` (but ${misreads.join('; ')}, as known)` : ''}`;
}
