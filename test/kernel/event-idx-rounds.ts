// The driver's half of event idx against a real device, shared by the vhost-net and QEMU
// virtio-net checks: rounds of 1 to num TX frames, each published a few frames at a time with a
// kick only where shouldKick says, then an interrupt asked for at the round's last used entry
// and a sleep until it comes. A kick withheld while the device slept, or a used_event past
// where it should be, leaves a round waiting, and the check fails with its number.
import type { Backend } from '../../runtime/backend.js';
import { takeEventfd } from '../../runtime/eventfd.js';
import type { TxQueue } from './tx-queue.js';
import { expect, WAIT_MS } from './checks.js';

export interface EventIdxRounds {
  rounds: number;
  frames: number;
  publishes: number;
  kicks: number;
  /** Rounds whose chains were not all used when the interrupt was asked for; those that then slept; wakes before all were used. */
  pending: number;
  slept: number;
  early: number;
}

export async function eventIdxRounds(
  backend: Backend,
  o: TxQueue & {
    rounds: number;
    /** Called once each round's chains are collected. */
    afterRound?: () => void;
    /** The device's state, for the message of a round that waits in vain. */
    state?: () => string;
  },
): Promise<EventIdxRounds> {
  const { tx, bufs, irq } = o;
  const r: EventIdxRounds = { rounds: o.rounds, frames: 0, publishes: 0, kicks: 0, pending: 0, slept: 0, early: 0 };
  for (let round = 0; round < o.rounds; round++) {
    // n frames, a few at a time with no wait between: the device, at work on the first, may
    // not have asked to hear of the next when they come.
    const n = 1 + ((round * 13) % tx.num);
    const chunk = 1 + (round % 8);
    for (let first = 0; first < n; first += chunk) {
      for (let k = first; k < Math.min(n, first + chunk); k++) tx.add([{ iova: bufs[k].iova, length: o.length }], [], k);
      tx.publish();
      r.publishes++;
      if (tx.shouldKick()) {
        o.kick();
        r.kicks++;
      }
    }
    // A driver about to sleep: empty the eventfd, ask for an interrupt at the n-th entry (which
    // answers whether they are all there), and sleep only when they are not.
    takeEventfd(backend, irq);
    if (!tx.setInterrupts(true, n)) {
      r.pending++;
      if (tx.usedWaiting() < n) r.slept++;
      for (const deadline = Date.now() + WAIT_MS; tx.usedWaiting() < n; ) {
        const woken = await backend.waitReadable(irq, Math.max(0, deadline - Date.now()));
        expect(`round ${round}`, woken, `no interrupt in ${WAIT_MS} ms (${tx.usedWaiting()} of the ${n} chains used by then${o.state ? `; ${o.state()}` : ''})`);
        takeEventfd(backend, irq);
        if (tx.usedWaiting() < n) r.early++;
      }
    }
    for (let k = 0; k < n; k++) expect(`round ${round}`, tx.popUsed() >= 0, `used entry ${k} of ${n} missing`);
    r.frames += n;
    o.afterRound?.();
  }
  return r;
}

/** The rounds in words, for a check's summary. */
export function describeRounds(r: EventIdxRounds, device: string): string {
  return `${r.rounds} rounds, ${r.frames} frames in ${r.publishes} publishes: ${r.kicks} kicks (${r.publishes - r.kicks} publishes ${device}, at work, had not asked to hear of); ${r.pending} rounds with chains still to come when the interrupt was asked for: ${r.slept} slept until it came, ${r.pending - r.slept} found them all before sleeping; ${r.early} wakes before all were used`;
}
