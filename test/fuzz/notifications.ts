// Kick and interrupt decisions under fuzz, against the same rules worked out in unbounded
// counts. A driver and a device on one ring take random steps: the driver adds, publishes and
// collects chains and turns interrupts on and off (asking after n entries); the device pops
// and pushes them and turns kicks on and off. Each side asks its question (shouldKick,
// needInterrupt) now and then, and in some cases only after a stretch of 65,535 to 65,537 or
// so chains, where the ring's 16-bit indexes have come round.
//
// This file keeps every index as a count that never wraps, and lifts each event word the other
// side wrote onto it: the device's avail_event is at or past the chains it has popped, the
// driver's used_event at or past the entries it has collected. A kick is owed when the chain
// the device asked about was added since the last answer (with the flag: anything added while
// NO_NOTIFY is clear), and an interrupt likewise. The answer must be yes whenever one is owed:
// a missed one leaves the other side asleep. It must be exactly the rule wherever 16 bits can
// tell, that is, wherever the counts since the last answer do not reach round to the word.
import { VRING_AVAIL_F_NO_INTERRUPT, VRING_USED_F_NO_NOTIFY } from '../../generated/virtio_ring.js';
import { SplitQueueDevice } from '../../runtime/virtio/device-queue.js';
import { AVAIL, eventOffsets, INDEX_MASK, USED } from '../../runtime/virtio/split-layout.js';
import { DATA_AT, driverOn, identity, MEM, ringOf, seeded, type Random } from './random-rings.js';

export interface NotificationFuzzSummary {
  cases: number;
  /** Questions asked and answered yes, each side. */
  kicks: { asked: number; yes: number };
  interrupts: { asked: number; yes: number };
  /** Cases with a stretch of 32,768 chains or more that neither side asked about. */
  longStretches: number;
  failures: string[];
}

/** The index space: a 16-bit word comes round after this many. */
const ROUND = INDEX_MASK + 1;
/** Steps of a case, and one case in this many runs a stretch past the word's range. */
const STEPS = 200;
const LONG_EVERY = 50;
/**
 * Stretches for the long cases: half the word's range (where event idx's "not now" sits), just
 * short of the range (where the rule must still be exact), at it, and just past it.
 */
const STRETCHES = [ROUND / 2, ROUND - 9, ROUND - 1, ROUND, ROUND + 1, ROUND + 7];

/** `word` (16 bits) lifted onto the count at or past `floor` that it names. */
const lift = (word: number, floor: number) => floor + ((word - floor) & INDEX_MASK);

/** One ring, both sides, and the counts that never wrap. */
function pair(r: Random, mem: Uint8Array) {
  const num = 1 << (1 + r.pick(8));
  const eventIdx = r.next() < 0.5;
  const driver = driverOn(mem, 0, num, eventIdx);
  const device = new SplitQueueDevice(num, ringOf(driver), identity(mem), eventIdx, 0, 'same-thread');
  const availAt = Number(driver.rings.avail.iova);
  const usedAt = Number(driver.rings.used.iova);
  const dv = new DataView(mem.buffer, mem.byteOffset, mem.byteLength);
  const events = eventOffsets(num);
  return {
    num,
    eventIdx,
    driver,
    device,
    availEvent: () => dv.getUint16(usedAt + events.availEvent, true),
    usedEvent: () => dv.getUint16(availAt + events.usedEvent, true),
    usedFlags: () => dv.getUint16(usedAt + USED.flags, true),
    availFlags: () => dv.getUint16(availAt + AVAIL.flags, true),
  };
}

/** The words of one question's failures. */
interface Question {
  answer: string;
  unit: string;
  asker: string;
}
const KICK: Question = { answer: 'kick', unit: 'chains added', asker: 'device' };
const INTERRUPT: Question = { answer: 'interrupt', unit: 'used entries', asker: 'driver' };

const tally = (t: { asked: number; yes: number }, said: boolean) => {
  t.asked++;
  if (said) t.yes++;
};

/**
 * What is wrong with an answer, judged by the rule in counts, or undefined: `atAnswer` and `now`
 * count what had come at the last answer and has come now, `wish` the one the asker asked
 * about, `flagClear` the flag's word when there is no event idx.
 */
function misjudged(q: Question, said: boolean, eventIdx: boolean, atAnswer: number, now: number, wish: number, flagClear: boolean): string | undefined {
  const since = now - atAnswer;
  const owed = eventIdx ? atAnswer <= wish && wish < now : since > 0 && flagClear;
  // Under event idx, 16 bits tell exactly unless the one asked about, a whole round back, is among those since.
  const exact = !eventIdx || atAnswer > wish - ROUND;
  const asked = eventIdx ? `it asked about number ${wish}, counted from 0` : `its flag ${flagClear ? 'asks' : 'does not ask'}`;
  if (owed && !said) return `no ${q.answer} after ${since} ${q.unit}, where the ${q.asker} asked for one (${asked}; the last answer was at ${atAnswer})`;
  if (exact && said !== owed) return `a ${q.answer} after ${since} ${q.unit}, where the ${q.asker} did not ask for one (${asked}; the last answer was at ${atAnswer})`;
  return undefined;
}

export function fuzzNotifications(cases: number, seed: number): NotificationFuzzSummary {
  const r = seeded(seed);
  const mem = new Uint8Array(MEM);
  const summary: NotificationFuzzSummary = { cases, kicks: { asked: 0, yes: 0 }, interrupts: { asked: 0, yes: 0 }, longStretches: 0, failures: [] };
  const heads = new Uint16Array(256);
  const written = new Uint32Array(heads.length);
  const lengths = new Uint32Array(heads.length);
  const buffer = [{ iova: DATA_AT, length: 1 }];
  for (let c = 0; c < cases; c++) {
    const q = pair(r, mem);
    const { driver, device, num } = q;
    const fail = (why: string) => summary.failures.push(`case ${c} (seed ${seed}, ring ${num}, event idx ${q.eventIdx}): ${why}`);
    // Counts that never wrap: added, popped, pushed, collected; and where each question was last answered.
    let added = 0;
    let popped = 0;
    let pushed = 0;
    let collected = 0;
    let addedAtAnswer = 0;
    let pushedAtAnswer = 0;
    /** Popped and not yet pushed, oldest first. */
    const held: number[] = [];
    const add = (n: number) => {
      for (let k = 0; k < n && driver.free > 0; k++, added++) driver.add(buffer, [], added);
    };
    const pop = (max: number) => {
      const n = device.popBurst(heads, Math.min(max, heads.length));
      for (let k = 0; k < n; k++) held.push(heads[k]);
      popped += n;
    };
    const push = (n: number) => {
      const count = Math.min(n, held.length);
      for (let k = 0; k < count; k++) {
        heads[k] = held[k];
        written[k] = 0;
      }
      held.splice(0, count);
      pushed += device.pushBurst(heads, written, count);
    };
    const collect = (max: number) => {
      collected += driver.popUsedBurst(heads, lengths, undefined, Math.min(max, heads.length));
    };
    const askKick = () => {
      const wish = lift(q.availEvent(), popped);
      const said = driver.shouldKick();
      const wrong = misjudged(KICK, said, q.eventIdx, addedAtAnswer, added, wish, (q.usedFlags() & VRING_USED_F_NO_NOTIFY) === 0);
      tally(summary.kicks, said);
      if (wrong) fail(wrong);
      addedAtAnswer = added;
    };
    const askInterrupt = () => {
      const wish = lift(q.usedEvent(), collected);
      const said = device.needInterrupt();
      const wrong = misjudged(INTERRUPT, said, q.eventIdx, pushedAtAnswer, pushed, wish, (q.availFlags() & VRING_AVAIL_F_NO_INTERRUPT) === 0);
      tally(summary.interrupts, said);
      if (wrong) fail(wrong);
      pushedAtAnswer = pushed;
    };
    /** Chains round the ring one at a time, neither side asking: the long cases' stretch. */
    const stretch = (chains: number) => {
      for (let k = 0; k < chains; k++) {
        if (driver.free === 0) collect(num);
        add(1);
        driver.publish();
        pop(1);
        push(1);
        collect(1);
      }
    };
    const long = c % LONG_EVERY === LONG_EVERY - 1;
    const stretchAt = long ? r.pick(STEPS) : -1;
    try {
      for (let step = 0; step < STEPS && summary.failures.length === 0; step++) {
        if (step === stretchAt) {
          const before = added;
          stretch(STRETCHES[r.pick(STRETCHES.length)]);
          if (added - before >= ROUND / 2) summary.longStretches++;
          continue;
        }
        switch (r.pick(9)) {
          case 0:
            add(1 + r.pick(3));
            break;
          case 1:
            driver.publish();
            break;
          case 2:
            askKick();
            break;
          case 3:
            pop(1 + r.pick(num));
            break;
          case 4:
            push(1 + r.pick(num));
            break;
          case 5:
            device.setNotifications(r.next() < 0.6);
            break;
          case 6:
            driver.setInterrupts(r.next() < 0.6, 1 + r.pick(num));
            break;
          case 7:
            collect(1 + r.pick(num));
            break;
          case 8:
            askInterrupt();
            break;
        }
        if (device.broken) fail(`the device broke on a well-formed ring: ${device.broken.message}`);
      }
    } catch (e) {
      fail(e instanceof Error ? (e.stack ?? e.message) : String(e));
    }
    if (summary.failures.length > 0) break;
  }
  return summary;
}

export function notificationReport(s: NotificationFuzzSummary): string {
  return `notification fuzz: ${s.cases} random interleavings (${s.longStretches} with a stretch of 32,768 chains or more unasked): ${s.kicks.asked} kick decisions (${s.kicks.yes} yes), ${s.interrupts.asked} interrupt decisions (${s.interrupts.yes} yes); ${s.failures.length} missed or unasked`;
}
