// The burst forms of the split ring (addBurst, popBurst, pushBurst, popUsedBurst): what they
// move, that they leave the rings exactly as the same chains moved one at a time would, and how
// a bad entry ends a burst on each side.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { DmaArena } from '../helpers/rings.js';
import { DriverRingError } from '../../runtime/virtio/driver-queue.js';
import { AVAIL, USED } from '../../runtime/virtio/split-layout.js';
import { VIRTQUEUE_MAX_SIZE } from '../../runtime/policy.js';

const b = suite('virtqueue bursts');

function ring(num: number, eventIdx = false) {
  const arena = new DmaArena(1 << 20);
  const q = arena.queue<number>(num, eventIdx);
  const data = arena.alloc(64 * 1024);
  const dv = new DataView(arena.mem.buffer);
  const buffers = (count: number, length: number) => Array.from({ length: count }, (_, k) => ({ iova: Number(data.iova) + k * length, length }));
  return { arena, ...q, data, dv, buffers, heads: new Uint16Array(num), lengths: new Uint32Array(num) };
}

b('bursts move chains both ways: as many as fit, with heads, lengths and tokens in order', () => {
  const r = ring(8);
  const tokens = Array.from({ length: 10 }, (_, k) => 100 + k);
  assert.is(r.driver.addBurst(r.buffers(10, 16), true, tokens), 8, 'eight descriptors, eight chains');
  assert.is(r.driver.free, 0);
  r.driver.publish();
  const first = r.device.popBurst(r.heads, 5);
  assert.is(first, 5);
  const rest = new Uint16Array(8);
  assert.is(r.device.popBurst(rest), 3);
  const heads = Uint16Array.from([...r.heads.subarray(0, 5), ...rest.subarray(0, 3)]);
  const written = new Uint32Array(8);
  heads.forEach((h, k) => {
    const chain = r.device.chainOf(h);
    assert.is(chain.writableLength, 16);
    written[k] = chain.writeBytes(Uint8Array.of(k + 1, k + 1), 0);
  });
  assert.is(r.device.pushBurst(heads, written), 8);
  assert.is(r.dv.getUint16(r.rings.used + USED.idx, true), 8, 'the used index is published');
  const got: (number | undefined)[] = [];
  assert.is(r.driver.popUsedBurst(r.heads, r.lengths, got), 8);
  assert.equal(got, tokens.slice(0, 8), 'tokens in the order the chains were added');
  assert.equal([...r.lengths], Array(8).fill(2));
  assert.equal([...r.heads], [...heads]);
  r.buffers(8, 16).forEach((buf, k) => assert.is(r.arena.mem[buf.iova], k + 1, `buffer ${k}`));
  assert.is(r.driver.free, 8);
  assert.is(r.device.popBurst(r.heads), 0);
  assert.is(r.device.broken, undefined);
});

b('a burst leaves the rings byte for byte as the same chains moved one at a time', () => {
  // Two identical rings; each step moves the same chains through the bursts on one and through
  // add/pop/push/popUsed on the other, and the two memories must stay equal.
  const step = fc.record({ add: fc.nat(12), write: fc.boolean(), pop: fc.nat(12), collect: fc.nat(12) });
  fc.assert(
    fc.property(fc.boolean(), fc.array(step, { maxLength: 40 }), (eventIdx, steps) => {
      const burst = ring(8, eventIdx);
      const single = ring(8, eventIdx);
      const popped: number[] = [];
      const writable: boolean[] = [];
      let token = 0;
      for (const s of steps) {
        const bufs = burst.buffers(s.add, 32);
        const tokens = bufs.map(() => token++);
        const added = burst.driver.addBurst(bufs, s.write, tokens);
        for (let k = 0; k < added; k++) writable[single.driver.add(s.write ? [] : [bufs[k]], s.write ? [bufs[k]] : [], tokens[k])] = s.write;
        burst.driver.publish();
        single.driver.publish();
        const want = Math.min(s.pop, 8);
        const n = burst.device.popBurst(burst.heads, want);
        for (let k = 0; k < n; k++) {
          const c = single.device.pop();
          if (c?.head !== burst.heads[k]) return false;
          popped.push(c.head);
        }
        if (n < want && single.device.pop() !== undefined) return false; // the burst took all there was
        const back = Uint16Array.from(popped.splice(0, Math.min(s.collect, popped.length)));
        const written = Uint32Array.from(back, (h) => (writable[h] ? h % 3 : 0));
        burst.device.pushBurst(back, written);
        back.forEach((h, k) => single.device.push(h, written[k]));
        const tokensOut: (number | undefined)[] = [];
        const m = burst.driver.popUsedBurst(burst.heads, burst.lengths, tokensOut);
        for (let k = 0; k < m; k++) {
          if (single.driver.popUsed() !== burst.heads[k] || single.driver.usedToken !== tokensOut[k] || single.driver.usedLength !== burst.lengths[k]) return false;
        }
        if (single.driver.popUsed() !== -1) return false;
        if (Buffer.compare(burst.arena.mem, single.arena.mem) !== 0) return false;
      }
      return burst.device.broken === undefined && single.device.broken === undefined && burst.driver.free === single.driver.free;
    }),
    { numRuns: 300 },
  );
});

b('bursts wrap the 16-bit indexes past 65,535 with every token in order', () => {
  const r = ring(4);
  const bufs = r.buffers(4, 8);
  const tokens = [0, 0, 0, 0];
  const out: (number | undefined)[] = [];
  let next = 0;
  let expected = 0;
  for (let round = 0; round < 60_000; round++) {
    const n = 1 + (round % 4);
    for (let k = 0; k < n; k++) tokens[k] = next++;
    r.driver.addBurst(bufs, false, tokens, n);
    r.driver.publish();
    const popped = r.device.popBurst(r.heads);
    r.lengths.fill(0);
    r.device.pushBurst(r.heads, r.lengths, popped);
    const m = r.driver.popUsedBurst(r.heads, r.lengths, out);
    for (let k = 0; k < m; k++) if (out[k] !== expected++) assert.unreachable(`round ${round}: token ${out[k]}, expected ${expected - 1}`);
  }
  assert.is(expected, next);
  assert.ok(next > 65_535 * 2, `${next} chains`);
  assert.is(r.dv.getUint16(r.rings.avail + AVAIL.idx, true), next & 0xffff);
  assert.is(r.device.broken, undefined);
});

b('every ring size virtio allows, 1 to 32,768: full rings go round past the 16-bit wrap, and kicks and interrupts turned off stay off', () => {
  for (let num = 1; num <= VIRTQUEUE_MAX_SIZE; num *= 2) {
    for (const eventIdx of [false, true]) {
      const where = `ring of ${num}, event idx ${eventIdx}`;
      const arena = new DmaArena(2 << 20);
      const { driver, device } = arena.queue<number>(num, eventIdx);
      const data = arena.alloc(num * 8);
      const buffers = Array.from({ length: num }, (_, k) => ({ iova: Number(data.iova) + 8 * k, length: 8 }));
      const tokens = Array.from({ length: num }, (_, k) => k);
      const heads = new Uint16Array(num);
      const lengths = new Uint32Array(num).fill(8);
      const got: (number | undefined)[] = [];
      device.setNotifications(false);
      driver.setInterrupts(false);
      // Past one wrap of the 16-bit indexes, however small the ring.
      const rounds = Math.ceil(70_000 / num);
      for (let round = 0; round < rounds; round++) {
        if (driver.addBurst(buffers, true, tokens) !== num) assert.unreachable(`${where}, round ${round}: the ring did not take ${num}`);
        driver.publish();
        if (driver.shouldKick()) assert.unreachable(`${where}, round ${round}: a kick while kicks are off`);
        if (device.popBurst(heads) !== num) assert.unreachable(`${where}, round ${round}: ${device.broken?.message ?? 'a short pop'}`);
        device.pushBurst(heads, lengths);
        if (device.needInterrupt()) assert.unreachable(`${where}, round ${round}: an interrupt while interrupts are off`);
        if (driver.popUsedBurst(heads, lengths, got) !== num) assert.unreachable(`${where}, round ${round}: a short collect`);
        // Tokens come back in the order the chains went, and every one of them.
        for (let k = 0; k < num; k++) if (got[k] !== k) assert.unreachable(`${where}, round ${round}: token ${got[k]} at ${k}`);
      }
      assert.is(driver.free, num, where);
      // Turned on again, each side hears of the next chain.
      assert.is(device.setNotifications(true), false, `${where}: nothing waiting`);
      driver.setInterrupts(true);
      driver.addBurst(buffers, true, tokens, 1);
      driver.publish();
      assert.ok(driver.shouldKick(), `${where}: a kick once asked for`);
      assert.is(device.popBurst(heads), 1);
      device.pushBurst(heads, lengths, 1);
      assert.ok(device.needInterrupt(), `${where}: an interrupt once asked for`);
      assert.is(device.broken, undefined, where);
    }
  }
});

b("a hostile entry ends the device's burst: the chains before it stand and the queue breaks", () => {
  const r = ring(8);
  r.driver.addBurst(r.buffers(2, 8), false);
  // A third entry naming a head past the ring, as a hostile driver would write it.
  r.dv.setUint16(r.rings.avail + AVAIL.ring + AVAIL.entry * 2, 8, true);
  r.dv.setUint16(r.rings.avail + AVAIL.idx, 3, true);
  assert.is(r.device.popBurst(r.heads), 2);
  assert.is(r.device.broken?.fault, 'head-out-of-range');
  assert.is(r.device.popBurst(r.heads), 0, 'a broken queue answers nothing');
  assert.is(r.device.pushBurst(r.heads, r.lengths, 2), 0, 'nor takes used entries');
});

b('usedWaiting counts what the device pushed and the driver has not collected, across the index wrap', () => {
  const r = ring(8);
  const written = new Uint32Array(8);
  let total = 0;
  for (let round = 0; round < 16_000; round++) {
    const n = 1 + (round % 8);
    total += n;
    r.driver.addBurst(r.buffers(n, 16), true);
    r.driver.publish();
    assert.is(r.device.popBurst(r.heads), n);
    assert.is(r.driver.usedWaiting(), 0, 'nothing before the device pushes');
    r.device.pushBurst(r.heads, written, n);
    assert.is(r.driver.usedWaiting(), n);
    const half = n >> 1;
    r.driver.popUsedBurst(r.heads, r.lengths, undefined, half);
    assert.is(r.driver.usedWaiting(), n - half);
    r.driver.popUsedBurst(r.heads, r.lengths);
    assert.is(r.driver.usedWaiting(), 0);
  }
  assert.ok(total > 65_535, `${total} chains: the 16-bit used index wrapped`);
});

b('pushBurst stops at a head past the ring and breaks the queue', () => {
  const r = ring(8);
  r.driver.addBurst(r.buffers(2, 8), false);
  r.driver.publish();
  assert.is(r.device.popBurst(r.heads), 2);
  const bad = Uint16Array.of(r.heads[0], 8);
  assert.is(r.device.pushBurst(bad, new Uint32Array(2)), 1);
  assert.is(r.device.broken?.fault, 'bad-push');
  assert.is(r.dv.getUint16(r.rings.used + USED.idx, true), 1, 'the entry before it is published');
});

b('pushBurst refuses a head the device does not hold: one never popped, or one pushed already', () => {
  for (const bad of ['never popped', 'pushed twice'] as const) {
    const r = ring(8);
    r.driver.addBurst(r.buffers(2, 8), false);
    r.driver.publish();
    assert.is(r.device.popBurst(r.heads), 2);
    const [first, second] = r.heads;
    // Both chains are in flight, so a count of chains in flight alone would let either through.
    const other = bad === 'never popped' ? [0, 1, 2].find((h) => h !== first && h !== second)! : first;
    assert.is(r.device.pushBurst(Uint16Array.of(first, other), new Uint32Array(2)), 1, bad);
    assert.is(r.device.broken?.fault, 'bad-push', bad);
    assert.match(r.device.broken!.message, new RegExp(`push of head ${other}, which is not in flight`));
    assert.is(r.dv.getUint16(r.rings.used + USED.idx, true), 1, `${bad}: the entry before it is published`);
  }
});

b('a head the driver offers again while the device holds it breaks the queue; offered again after its push, it is taken', () => {
  /** A ring whose driver adds one chain and then, as a hostile one would, offers its head a second time. */
  const offeredTwice = () => {
    const r = ring(8);
    const head = r.driver.add(r.buffers(1, 8), []);
    r.dv.setUint16(r.rings.avail + AVAIL.ring + AVAIL.entry, head, true);
    r.dv.setUint16(r.rings.avail + AVAIL.idx, 2, true);
    return { ...r, head };
  };
  const r = offeredTwice();
  assert.is(r.device.popBurst(r.heads), 1, 'the first offer is taken; the burst ends at the second');
  assert.is(r.device.broken?.fault, 'head-in-flight');
  assert.match(r.device.broken!.message, new RegExp(`head ${r.head} offered again before the device used it`));

  // The same two offers with the push between them are a driver re-using a head it got back.
  const s = offeredTwice();
  assert.is(s.device.popBurst(s.heads, 1), 1);
  assert.is(s.device.pushBurst(s.heads, new Uint32Array(1), 1), 1);
  assert.is(s.device.popBurst(s.heads, 1), 1);
  assert.is(s.device.broken, undefined);
});

b("a chain's copies refuse a negative or fractional position instead of reaching the bytes before a buffer", () => {
  const r = ring(8);
  const [readable, writable, other] = r.buffers(3, 16);
  r.arena.mem.fill(0xaa, readable.iova, readable.iova + 16);
  r.driver.add([readable], [writable]);
  r.driver.add([other], [writable]);
  r.driver.publish();
  const chain = r.device.pop()!;
  const target = r.device.pop()!;
  const before = r.arena.mem.slice(readable.iova - 16, other.iova + 16);
  for (const bad of [-1, 0.5, NaN]) {
    assert.throws(() => chain.writeBytes(Uint8Array.of(1, 2, 3), bad), RangeError, `writeBytes at ${bad}`);
    assert.throws(() => chain.readInto(bad, new Uint8Array(4)), RangeError, `readInto from ${bad}`);
    assert.throws(() => chain.copyReadableTo(target, bad, 0, 4), RangeError, `copyReadableTo skip ${bad}`);
    assert.throws(() => chain.copyReadableTo(target, 0, bad, 4), RangeError, `copyReadableTo at ${bad}`);
    assert.throws(() => chain.copyReadableTo(target, 0, 0, bad), RangeError, `copyReadableTo length ${bad}`);
  }
  // A range of the caller's array that is not within it: refused, not clamped or read past.
  const three = Uint8Array.of(1, 2, 3);
  for (const [from, length] of [[-1, 2], [0, 4], [2, 2], [4, undefined], [0.5, 1], [0, NaN]] as const) {
    assert.throws(() => chain.writeBytes(three, 0, from, length), RangeError, `writeBytes of bytes ${from}+${length} of 3`);
    assert.throws(() => chain.readInto(0, three, from, length), RangeError, `readInto bytes ${from}+${length} of 3`);
  }
  // The message says which argument: built when thrown (see checkPosition), not at each call.
  assert.throws(() => chain.writeBytes(three, 0, -1, 2), /^Chain: data start -1 is not a non-negative integer$/);
  assert.throws(() => chain.readInto(0, three, 0, 0.5), /^Chain: out length 0\.5 is not a non-negative integer$/);
  assert.throws(() => chain.copyReadableTo(target, -2, 0, 4), /^Chain: skip -2 is not a non-negative integer$/);
  assert.equal(r.arena.mem.slice(readable.iova - 16, other.iova + 16), before, 'no byte moved');
  assert.is(chain.writeBytes(Uint8Array.of(1, 2, 3), 14), 2, 'a good position still writes, up to the end of the buffer');
});

b('push refuses a head or a byte count its typed arrays would wrap, and breaks the queue on a head past the ring', () => {
  const r = ring(8);
  r.driver.addBurst(r.buffers(1, 8), false);
  r.driver.publish();
  const chain = r.device.pop()!;
  for (const [head, written] of [[chain.head + 65_536, 0], [-1, 0], [0.5, 0], [chain.head, -1], [chain.head, 2 ** 32], [chain.head, NaN]]) {
    assert.throws(() => r.device.push(head, written), RangeError, `push(${head}, ${written})`);
  }
  assert.is(r.device.broken, undefined, 'a refused call leaves the queue as it was');
  assert.is(r.dv.getUint16(r.rings.used + USED.idx, true), 0, 'and publishes nothing');
  r.device.push(8, 0);
  assert.is(r.device.broken?.fault, 'bad-push');
});

b("the driver's burst stops before a bad used entry, and the call that starts there throws it", () => {
  const r = ring(8);
  r.driver.addBurst(r.buffers(3, 8), true, [7, 8, 9]);
  r.driver.publish();
  assert.is(r.device.popBurst(r.heads), 3);
  r.lengths.fill(8);
  r.device.pushBurst(r.heads, r.lengths, 3);
  r.dv.setUint32(r.rings.used + USED.ring + USED.elem * 1 + USED.len, 9, true); // more than its 8 writable bytes
  const tokens: (number | undefined)[] = [];
  assert.is(r.driver.popUsedBurst(r.heads, r.lengths, tokens), 1);
  assert.equal(tokens, [7]);
  assert.is(r.driver.free, 6);
  assert.throws(() => r.driver.popUsedBurst(r.heads, r.lengths), (e: unknown) => e instanceof DriverRingError && e.fault === 'used-length-too-long');
  assert.is(r.driver.free, 6, 'the refused entry is not taken');
});

b('addBurst: a bad IOVA ends the burst before it, or throws when it is the first; a count past the buffers, fractional or negative is refused', () => {
  const r = ring(8);
  const [good] = r.buffers(1, 8);
  assert.is(r.driver.addBurst([good, good, { iova: -1, length: 8 }, good], false), 2);
  assert.is(r.driver.free, 6);
  assert.throws(() => r.driver.addBurst([{ iova: 1.5, length: 8 }, good], false), RangeError);
  assert.is(r.driver.free, 6, 'a refused burst takes no descriptor');
  assert.throws(() => r.driver.addBurst([good], false, undefined, 2), RangeError);
  assert.throws(() => r.driver.addBurst([good, good], false, [1]), RangeError);
  assert.throws(() => r.driver.addBurst([good], false, undefined, NaN), RangeError);
  assert.is(r.driver.free, 6, 'a NaN count adds nothing');
  // Bursts larger than the caller's arrays are refused: typed arrays would drop the extra entries.
  assert.throws(() => r.device.popBurst(new Uint16Array(1), 2), RangeError);
  assert.throws(() => r.device.pushBurst(new Uint16Array(2), new Uint32Array(1), 2), RangeError);
  assert.throws(() => r.driver.popUsedBurst(new Uint16Array(2), new Uint32Array(1), undefined, 2), RangeError);
  // A fraction would run a loop once more than asked (k < 1.5 for k = 0 and 1); a negative count
  // not at all. 2^32 and 2^32 + 1 are 0 and 1 as 32-bit words, which a count must not be read as.
  for (const count of [1.5, -1, 2 ** 32, 2 ** 32 + 1, Infinity, NaN]) {
    assert.throws(() => r.driver.addBurst([good, good], false, undefined, count), /a burst of/, `addBurst of ${count}`);
    assert.throws(() => r.device.popBurst(r.heads, count), /a burst of/, `popBurst of ${count}`);
    assert.throws(() => r.device.pushBurst(r.heads, new Uint32Array(8), count), /a burst of/, `pushBurst of ${count}`);
    assert.throws(() => r.driver.popUsedBurst(r.heads, r.lengths, undefined, count), /a burst of/, `popUsedBurst of ${count}`);
  }
  assert.is(r.driver.free, 6, 'a refused count adds nothing');
  r.driver.publish();
  assert.is(r.device.popBurst(r.heads), 2, 'the two added before the bad one are available');
});

b.run();
