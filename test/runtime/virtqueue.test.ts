// Both ends of the split ring against each other over an identity IOMMU, and the device side
// against every class of hostile ring: each must end in RingError on the queue, not a throw.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { VRING_DESC_F_NEXT } from '../../generated/virtio_ring.js';
import { DmaView, RingFault, SplitQueueDevice } from '../../runtime/virtio/device-queue.js';
import { DriverRingError, SplitQueueDriver } from '../../runtime/virtio/driver-queue.js';
import { AVAIL, DESC, eventOffsets, INDEX_MASK, needEvent, ringIovas, splitSizes, USED } from '../../runtime/virtio/split-layout.js';
import { DmaArena } from '../helpers/rings.js';
import { VIRTQUEUE_MAX_SIZE } from '../../runtime/policy.js';
import { mappedView } from '../helpers/mappings.js';
import { chainBytes, EDGE_RINGS, GOOD_RINGS, goodRing, HOSTILE_RINGS, offer, type RingBytes, UNSENT_FRAME, writeDesc } from '../helpers/hostile-rings.js';

const v = suite('split virtqueue');
const MEM = 1 << 20;
const PAGE = 4096;
/** Where the first two data pages are mapped again, swapped: the second, then the first (RingBytes.meeting between). */
const AGAIN = MEM + 16 * PAGE;

/**
 * One block of "DMA memory" where IOVA = offset, with rings at the start; and past it the two
 * data pages mapped again, each a mapping of its own, which `mapped` tells apart.
 */
function setup(num: number, eventIdx = false) {
  const mem = new Uint8Array(new SharedArrayBuffer(MEM));
  const sizes = splitSizes(num);
  const at = { desc: 0, avail: sizes.desc, used: Math.ceil((sizes.desc + sizes.avail) / 4) * 4 };
  const dataStart = Math.ceil((at.used + sizes.used) / PAGE) * PAGE;
  const translate = mappedView(mem, [
    { iova: 0, offset: 0, size: MEM },
    { iova: AGAIN, offset: dataStart + PAGE, size: PAGE },
    { iova: AGAIN + PAGE, offset: dataStart, size: PAGE },
  ]);
  const span = (off: number, len: number) => ({ iova: BigInt(off), bytes: mem.subarray(off, off + len) });
  const driver = new SplitQueueDriver<string>(num, { desc: span(at.desc, sizes.desc), avail: span(at.avail, sizes.avail), used: span(at.used, sizes.used) }, eventIdx);
  const device = new SplitQueueDevice(num, { desc: BigInt(at.desc), avail: BigInt(at.avail), used: BigInt(at.used) }, translate, eventIdx);
  const dv = new DataView(mem.buffer);
  return { mem, dv, driver, device, at, dataStart, translate, span };
}

v('a chain goes round: readable bytes reach the device, written bytes and length come back', () => {
  const { mem, driver, device, dataStart } = setup(8);
  mem.set([1, 2, 3, 4], dataStart);
  const head = driver.add([{ iova: BigInt(dataStart), length: 4 }], [{ iova: BigInt(dataStart + 64), length: 16 }], 'req-1');
  driver.publish();
  const chain = device.pop()!;
  assert.is(chain.head, head);
  assert.equal([...chain.readable[0]], [1, 2, 3, 4]);
  chain.writable[0].set([9, 8, 7]);
  device.push(chain.head, 3);
  const used = driver.getUsed()!;
  assert.equal([used.length, used.token], [3, 'req-1']);
  assert.equal([...mem.subarray(dataStart + 64, dataStart + 67)], [9, 8, 7]);
  assert.is(driver.free, 8);
  assert.is(device.pop(), undefined);
  assert.is(device.broken, undefined);
});

v('indexes wrap past 65,535 with every chain intact; descriptors all come back', () => {
  const { mem, driver, device, dataStart } = setup(4);
  for (let k = 0; k < 70_000; k++) {
    const n = 1 + (k % 3);
    const heads = [];
    for (let j = 0; j < n; j++) {
      mem[dataStart + j] = (k + j) & 0xff;
      heads.push(driver.add([{ iova: BigInt(dataStart + j), length: 1 }], [], `${k}.${j}`));
    }
    driver.publish();
    for (let j = 0; j < n; j++) {
      const c = device.pop()!;
      assert.ok(c, `iteration ${k}`);
      if (c.readable[0][0] !== ((k + j) & 0xff)) assert.unreachable(`iteration ${k}: wrong bytes`);
      device.push(c.head, 0);
    }
    for (let j = 0; j < n; j++) if (driver.getUsed()?.token !== `${k}.${j}`) assert.unreachable(`iteration ${k}: wrong token`);
  }
  assert.is(driver.free, 4);
  assert.is(device.broken, undefined);
});

v('a driver resumed at a base (as a device is with SET_VRING_BASE) meets the device there and wraps past 65,535 with it', () => {
  const BASE = 65_530;
  const CHAINS = 40;
  for (const eventIdx of [false, true]) {
    const mode = eventIdx ? 'event idx' : 'flags';
    const arena = new DmaArena(1 << 16);
    const spans = arena.rings(8);
    const driver = new SplitQueueDriver<number>(8, spans, eventIdx, 'shared', BASE);
    const device = new SplitQueueDevice(8, ringIovas(spans), arena.dma, eventIdx, BASE);
    const buf = arena.alloc(16);
    const words = (span: { bytes: Uint8Array }, at: number) => new DataView(span.bytes.buffer, span.bytes.byteOffset).getUint16(at, true);
    const events = eventOffsets(8);
    // The rings as a queue resumed there holds them (vhost reads the used index from the ring),
    // each side asking to hear of the next entry: neither side has said anything yet below.
    assert.equal([words(spans.avail, AVAIL.idx), words(spans.used, USED.idx), words(spans.avail, events.usedEvent), words(spans.used, events.availEvent)], [BASE, BASE, BASE, BASE], mode);
    for (let k = 0; k < CHAINS; k++) {
      driver.add([{ iova: buf.iova, length: 16 }], [], k);
      driver.publish();
      assert.ok(driver.shouldKick(), `${mode}, chain ${k}: the device asked to hear of the next chain`);
      const chain = device.pop();
      assert.ok(chain, `${mode}, chain ${k}: ${device.broken?.message}`);
      device.push(chain.head, 0);
      assert.ok(device.needInterrupt(), `${mode}, chain ${k}: the driver asked to hear of the next entry`);
      assert.is(driver.getUsed()?.token, k, `${mode}, chain ${k}`);
    }
    const end = (BASE + CHAINS) & 0xffff;
    assert.equal([words(spans.avail, AVAIL.idx), words(spans.used, USED.idx), device.base], [end, end, end], `${mode}: both indexes came round past 65,535`);
    // Resumed at a base the device was not given, the driver's first chain is an index jump.
    const other = arena.rings(8);
    const resumed = new SplitQueueDriver<number>(8, other, eventIdx, 'shared', BASE);
    const fresh = new SplitQueueDevice(8, ringIovas(other), arena.dma, eventIdx);
    resumed.add([{ iova: buf.iova, length: 16 }], []);
    resumed.publish();
    assert.is(fresh.pop(), undefined);
    assert.is(fresh.broken?.fault, 'avail-index-jump', `${mode}: a device at 0 given a ring resumed at ${BASE}`);
  }
  const arena = new DmaArena(1 << 16);
  for (const base of [65_536, -1, 0.5, NaN]) assert.throws(() => new SplitQueueDriver(8, arena.rings(8), false, 'shared', base), new RegExp(`ring base ${base} is not a 16-bit index`));
});

v('a device started over a ring with chains in flight takes the used index from the ring, as vhost does, and pushes where the driver looks next', () => {
  // The first device pops three chains and pushes one, then stops (GET_VRING_BASE answers
  // start + 3: 3, or 1 past the wrap from 65,534). Its successor starts at that base: the two chains the first held
  // are lost, as they are when vhost's backend is replaced, but the next chain must come back.
  for (const start of [0, 65_534]) {
    const arena = new DmaArena(1 << 16);
    const spans = arena.rings(8);
    const driver = new SplitQueueDriver<string>(8, spans, false, 'shared', start);
    const first = new SplitQueueDevice(8, ringIovas(spans), arena.dma, false, start);
    const buf = arena.alloc(16);
    for (const token of ['a', 'b', 'c']) driver.add([{ iova: buf.iova, length: 16 }], [], token);
    driver.publish();
    const popped = [first.pop(), first.pop(), first.pop()];
    first.push(popped[0]!.head, 0);
    assert.is(driver.getUsed()?.token, 'a', `from ${start}`);
    const base = first.base;
    assert.is(base, (start + 3) & INDEX_MASK, `from ${start}: the base the first device stopped at`);
    const next = new SplitQueueDevice(8, ringIovas(spans), arena.dma, false, base);
    driver.add([{ iova: buf.iova, length: 16 }], [], 'd');
    driver.publish();
    const chain = next.pop();
    assert.ok(chain, `from ${start}: ${next.broken?.message}`);
    next.push(chain.head, 0);
    // Had the successor taken its used index from the base, it would have pushed two entries
    // past the one the driver reads next, and the driver would read entries never written.
    assert.is(driver.getUsed()?.token, 'd', `from ${start}: the chain added after the restart`);
    assert.is(driver.getUsed(), undefined, `from ${start}: nothing more`);
    assert.is(driver.free, 8 - 2, `from ${start}: the two chains the first device held stay with the driver`);
  }
});

v('indirect chains round-trip, taking one ring slot', () => {
  const { mem, driver, device, dataStart, span } = setup(4);
  const table = span(dataStart + 4096, 3 * DESC.size);
  mem.set([5, 6], dataStart);
  driver.add([{ iova: BigInt(dataStart), length: 1 }, { iova: BigInt(dataStart + 1), length: 1 }], [{ iova: BigInt(dataStart + 100), length: 8 }], 'ind', table);
  assert.is(driver.free, 3);
  driver.publish();
  const c = device.pop()!;
  assert.equal(c.readable.map((b) => b[0]), [5, 6]);
  assert.is(c.writableLength, 8);
  device.push(c.head, 8);
  assert.is(driver.getUsed()!.token, 'ind');
  assert.is(driver.free, 4);
  // No chain may be longer than the ring, through an indirect table neither: refused, nothing taken.
  const five = Array.from({ length: 5 }, (_, k) => ({ iova: BigInt(dataStart + k), length: 1 }));
  assert.throws(() => driver.add(five, [], 'long', span(dataStart + 4096, 5 * DESC.size)), /a chain of 5 buffers on a ring of 4/);
  assert.throws(() => driver.add(five, []), /a chain of 5 buffers on a ring of 4/);
  assert.is(driver.free, 4);
});

v('event idx: kicks and interrupts follow the spec\'s need-event rule', () => {
  // The rule itself, against the spec's formula on a grid of 16-bit indexes (wrap included).
  for (const [e, n, o] of [[0, 1, 0], [1, 3, 2], [65535, 0, 65535], [10, 12, 9], [10, 9, 5], [0xfffe, 1, 0xfffd]]) {
    assert.is(needEvent(e, n, o), ((n - e - 1) & 0xffff) < ((n - o) & 0xffff), `${e} ${n} ${o}`);
  }
  const { driver, device, dataStart } = setup(16, true);
  const add = () => driver.add([{ iova: BigInt(dataStart), length: 1 }], []);
  let kicks = 0;
  // Five batches, the device draining each before the next: each batch needs one kick.
  for (let b = 0; b < 5; b++) {
    add();
    add();
    driver.publish();
    if (driver.shouldKick()) kicks++;
    for (let c = device.pop(); c; c = device.pop()) device.push(c.head, 0);
    while (driver.getUsed());
  }
  assert.is(kicks, 5);
  // Three publishes while the device sleeps: only the first passes avail_event.
  kicks = 0;
  for (let b = 0; b < 3; b++) {
    add();
    driver.publish();
    if (driver.shouldKick()) kicks++;
  }
  assert.is(kicks, 1);
  // Interrupts: the driver asks at used_event; five used entries without it reading any more
  // interrupt once, when used_event is passed.
  for (let c = device.pop(); c; c = device.pop()) device.push(c.head, 0);
  driver.setInterrupts(true);
  let interrupts = device.needInterrupt() ? 1 : 0;
  while (driver.getUsed());
  for (let k = 0; k < 5; k++) add();
  driver.publish();
  for (let c = device.pop(); c; c = device.pop()) {
    device.push(c.head, 0);
    if (device.needInterrupt()) interrupts++;
  }
  assert.is(interrupts, 2, 'one for the first batch, one when the next used entry passes used_event');
});

v('event idx: an interrupt asked for after n entries comes once, when the n-th is pushed', () => {
  const { driver, device, dataStart } = setup(16, true);
  const add = () => driver.add([{ iova: BigInt(dataStart), length: 1 }], []);
  for (const n of [1, 3, 8, 16]) {
    for (let k = 0; k < 16; k++) add();
    driver.publish();
    assert.is(driver.setInterrupts(true, n), false, `asked after ${n}, with nothing used yet`);
    const at: number[] = [];
    for (let pushed = 1, c = device.pop(); c; c = device.pop(), pushed++) {
      device.push(c.head, 0);
      if (device.needInterrupt()) at.push(pushed);
    }
    assert.equal(at, [n], `asked after ${n}`);
    // Asked again with all 16 used and not collected: the answer says they are there.
    assert.is(driver.setInterrupts(true, n), true, `asked after ${n}, with 16 waiting`);
    assert.is(driver.setInterrupts(false, n), false, 'turned off, it answers nothing');
    while (driver.getUsed());
  }
  assert.throws(() => driver.setInterrupts(true, 0), RangeError);
  assert.throws(() => driver.setInterrupts(true, 17), RangeError);
  assert.throws(() => driver.setInterrupts(true, 1.5), RangeError);
});

v('interrupts turned off stay off, under event idx as under the flag, past index wrap-around', () => {
  for (const eventIdx of [false, true]) {
    const { driver, device, dataStart } = setup(16, eventIdx);
    const add = () => driver.add([{ iova: BigInt(dataStart), length: 1 }], []);
    driver.setInterrupts(false);
    let interrupts = 0;
    let pushed = 0;
    // Past 65,536 used entries: used_event is carried round the whole index space and its wrap.
    while (pushed < 70_000) {
      for (let k = 0; k < 3; k++) add();
      driver.publish();
      for (let c = device.pop(); c; c = device.pop()) {
        device.push(c.head, 0);
        pushed++;
        if (device.needInterrupt()) interrupts++;
      }
      while (driver.popUsed() >= 0);
    }
    // A whole ring pushed, then collected before the device asks: the driver's store of
    // used_event comes after entries the device has not yet looked at (another thread's race).
    for (let k = 0; k < 16; k++) add();
    driver.publish();
    for (let c = device.pop(); c; c = device.pop()) device.push(c.head, 0);
    while (driver.popUsed() >= 0);
    if (device.needInterrupt()) interrupts++;
    assert.is(interrupts, 0, `event idx ${eventIdx}: interrupts while they were off`);
    // On again: the next entry interrupts (and, under event idx, only that one).
    assert.is(driver.setInterrupts(true), false, `event idx ${eventIdx}: nothing waiting when turned on`);
    add();
    add();
    driver.publish();
    const at: number[] = [];
    for (let n = 1, c = device.pop(); c; c = device.pop(), n++) {
      device.push(c.head, 0);
      if (device.needInterrupt()) at.push(n);
    }
    assert.equal(at, eventIdx ? [1] : [1, 2], `event idx ${eventIdx}: interrupts once on again`);
    assert.is(driver.setInterrupts(true, 2), true, `event idx ${eventIdx}: the two used entries are waiting`);
    assert.is(driver.setInterrupts(true, 3), false, `event idx ${eventIdx}: a third is not`);
  }
});

v('kicks turned off by the device stay off; turned on, it learns of the chains it was not kicked for', () => {
  for (const eventIdx of [false, true]) {
    const { driver, device, dataStart } = setup(16, eventIdx);
    const add = () => driver.add([{ iova: BigInt(dataStart), length: 1 }], []);
    const drain = () => {
      for (let c = device.pop(); c; c = device.pop()) device.push(c.head, 0);
      while (driver.popUsed() >= 0);
    };
    assert.is(device.setNotifications(false), false);
    let kicks = 0;
    // Past 65,536 available entries, as the device would while it polls a busy ring.
    for (let published = 0; published < 70_000; published += 2) {
      add();
      add();
      driver.publish();
      if (driver.shouldKick()) kicks++;
      drain();
    }
    add();
    driver.publish();
    if (driver.shouldKick()) kicks++;
    assert.is(kicks, 0, `event idx ${eventIdx}: kicks while they were off`);
    assert.is(device.availWaiting(), 1);
    assert.is(device.setNotifications(true), true, 'turned on: the chain that had no kick is waiting');
    drain();
    assert.is(device.setNotifications(true), false, 'turned on with nothing waiting');
    add();
    driver.publish();
    assert.ok(driver.shouldKick(), `event idx ${eventIdx}: the next chain kicks`);
  }
});

v('a kick or interrupt asked about only 65,536 chains after the last answer is still given', () => {
  // Under event idx the rule compares 16-bit distances: 65,536 chains after the last answer the
  // index is back where it was, and a side judging by it would answer no, leaving the other
  // asleep over a chain it asked to hear of. Under the flags the count does not matter, and a
  // flag set still says no.
  for (const [eventIdx, on] of [[true, true], [false, true], [false, false]]) {
    const { driver, device, dataStart } = setup(16, eventIdx);
    const add = () => driver.add([{ iova: BigInt(dataStart), length: 1 }], []);
    const serveOne = () => device.push(device.pop()!.head, 0);
    device.setNotifications(on);
    driver.setInterrupts(on);
    add();
    driver.publish();
    assert.is(driver.shouldKick(), on);
    serveOne();
    assert.is(device.needInterrupt(), on);
    driver.popUsed();
    // 65,535 chains neither side asks about; the device takes each, the driver collects each.
    for (let k = 0; k < 65_535; k++) {
      add();
      driver.publish();
      serveOne();
      driver.popUsed();
    }
    const mode = `event idx ${eventIdx}, ${on ? 'on' : 'off'}`;
    add();
    driver.publish();
    assert.is(driver.shouldKick(), on, `${mode}: the 65,536th chain since the last kick`);
    serveOne();
    assert.is(device.needInterrupt(), on, `${mode}: the 65,536th used entry since the last interrupt`);
  }
});

// ---- Hostile rings ---------------------------------------------------------------------------

type Ring = ReturnType<typeof setup>;
/** The unit tests' ring as the shared cases see it: IOVA = offset. */
const ringBytes = (r: Ring): RingBytes => ({ dv: r.dv, at: Number, num: r.device.num, desc: BigInt(r.at.desc), avail: BigInt(r.at.avail), data: BigInt(r.dataStart), frame: UNSENT_FRAME, unmapped: BigInt(MEM) + 4096n, meeting: BigInt(AGAIN + PAGE) });
function hostile(fault: RingFault, build: (r: Ring) => void, num = 8, iommu?: (r: Ring) => DmaView, name: string = fault) {
  v(`hostile ring: ${name}`, () => {
    const r = setup(num);
    const device = iommu ? new SplitQueueDevice(num, { desc: BigInt(r.at.desc), avail: BigInt(r.at.avail), used: BigInt(r.at.used) }, iommu(r), false) : r.device;
    build(r);
    let popped = 0;
    for (let k = 0; k <= num + 1 && device.pop(); k++) popped++;
    assert.ok(device.broken, `not broken after ${popped} pops`);
    assert.is(device.broken!.fault, fault, device.broken!.message);
    assert.is(device.pop(), undefined, 'a broken queue answers nothing');
  });
}

for (const c of HOSTILE_RINGS) {
  hostile(c.fault!, (r) => {
    goodRing(ringBytes(r));
    c.build(ringBytes(r));
  }, 8, undefined, c.name);
}
for (const c of [...GOOD_RINGS, ...EDGE_RINGS]) {
  v(`a ring the device takes: ${c.name}`, () => {
    const r = setup(8);
    goodRing(ringBytes(r));
    c.build(ringBytes(r));
    const chain = r.device.pop();
    assert.ok(chain, String(r.device.broken?.message));
    assert.equal(chainBytes(chain), c.reads!(ringBytes(r)), 'the bytes the chain holds, whole and in order');
    assert.is(r.device.pop(), undefined);
    assert.is(r.device.broken, undefined);
  });
}
v('hostile ring: a chain beyond its indirect table is named so', () => {
  const r = setup(8);
  goodRing(ringBytes(r));
  HOSTILE_RINGS.find((c) => c.name === 'an indirect chain beyond its table')!.build(ringBytes(r));
  assert.is(r.device.pop(), undefined);
  assert.match(r.device.broken!.message, /indirect table of 2/);
});
hostile(
  'chain-too-big',
  (r) => {
    const b = ringBytes(r);
    writeDesc(b, b.desc, 0, 0x100000000n, 0x80000000, VRING_DESC_F_NEXT, 1);
    writeDesc(b, b.desc, 1, 0x200000000n, 0x80000000, 0);
    offer(b, [0]);
  },
  8,
  // An IOMMU that maps the rings and, sparsely, two 2 GiB buffers: nothing is read from them.
  (r) => ({ memory: r.mem, translate: (iova, length, write) => (iova >= 0x100000000 ? 0 : r.translate.translate(iova, length, write)) }),
);
hostile('too-many-in-flight', (r) => {
  const b = ringBytes(r);
  goodRing(b);
  offer(b, [0, 1, 2, 3, 4, 5, 6, 7], 8);
  // The driver offers a ninth before any came back: head 0 again.
  for (let k = 0; k < 8; k++) r.device.pop();
  offer(b, [0, 1, 2, 3, 4, 5, 6, 7], 9);
});
/**
 * An IOMMU of mappings that meet, each somewhere else in memory: the rings where they are
 * (IOVA = offset, below MEM), then at 0x200000 three pages, the last read-only, then a gap.
 */
const meetingMappings = (r: Ring, withMapped = true): DmaView =>
  mappedView(
    r.mem,
    [
      { iova: 0, offset: 0, size: MEM },
      { iova: 0x200000, offset: 0x20000, size: 0x1000 },
      { iova: 0x201000, offset: 0x40000, size: 0x1000 },
      { iova: 0x202000, offset: 0x60000, size: 0x1000, writable: false },
    ],
    withMapped,
  );

v('a buffer across mappings that meet is taken a mapping at a time, as vhost and QEMU take it', () => {
  const r = setup(8);
  const device = new SplitQueueDevice(8, { desc: BigInt(r.at.desc), avail: BigInt(r.at.avail), used: BigInt(r.at.used) }, meetingMappings(r), false);
  // 32 readable bytes, half at the end of the first page and half at the start of the second;
  // 8 writable bytes the same way.
  const sent = Uint8Array.from({ length: 32 }, (_, i) => i + 1);
  r.mem.set(sent.subarray(0, 16), 0x20ff0);
  r.mem.set(sent.subarray(16), 0x40000);
  r.driver.add([{ iova: 0x200ff0, length: 32 }], [{ iova: 0x200ffc, length: 8 }]);
  r.driver.publish();
  const chain = device.pop()!;
  assert.ok(chain, String(device.broken?.message));
  assert.equal([chain.count, chain.readableLength, chain.writableLength], [4, 32, 8]);
  const got = new Uint8Array(32);
  assert.is(chain.readInto(0, got), 32);
  assert.equal([...got], [...sent]);
  assert.is(chain.writeBytes(Uint8Array.of(9, 8, 7, 6, 5, 4, 3, 2), 0), 8);
  assert.equal([...r.mem.subarray(0x20ffc, 0x21000), ...r.mem.subarray(0x40000, 0x40004)], [9, 8, 7, 6, 5, 4, 3, 2]);
  device.push(chain.head, 8);
  assert.is(r.driver.getUsed()?.length, 8);
});

for (const [name, readable, writable, message, withMapped] of [
  ['an IOMMU that cannot say where its mappings end', [{ iova: 0x200ff0, length: 32 }], [], /0x200ff0\+32 unmapped/, false],
  ['a buffer running from a mapping into a gap', [{ iova: 0x202ff0, length: 32 }], [], /bytes from 0x203000 on no mapping covers$/, true],
  ['a writable buffer running into a read-only mapping', [], [{ iova: 0x201ff0, length: 32 }], /bytes from 0x202000 on no mapping covers for writing/, true],
] as const) {
  v(`hostile ring: ${name} breaks the queue (unmapped)`, () => {
    const r = setup(8);
    const device = new SplitQueueDevice(8, { desc: BigInt(r.at.desc), avail: BigInt(r.at.avail), used: BigInt(r.at.used) }, meetingMappings(r, withMapped), false);
    r.driver.add([...readable], [...writable]);
    r.driver.publish();
    assert.is(device.pop(), undefined);
    assert.is(device.broken?.fault, 'unmapped');
    assert.match(device.broken!.message, message);
  });
}

v('hostile ring: an indirect table across mappings that meet is refused, as QEMU refuses one it cannot map whole', () => {
  const r = setup(8);
  const device = new SplitQueueDevice(8, { desc: BigInt(r.at.desc), avail: BigInt(r.at.avail), used: BigInt(r.at.used) }, meetingMappings(r), false);
  const table = { iova: 0x200ff0, bytes: r.mem.subarray(0x20ff0, 0x21000 + 16) };
  r.driver.add([{ iova: r.dataStart, length: 4 }, { iova: r.dataStart + 8, length: 4 }], [], undefined, table);
  r.driver.publish();
  assert.is(device.pop(), undefined);
  assert.is(device.broken?.fault, 'unmapped');
  assert.match(device.broken!.message, /indirect table/);
});

v('hostile ring: a buffer in more pieces than a ring has descriptors breaks the queue (chain-too-big)', () => {
  const r = setup(8);
  // Byte-sized mappings, one after another: 40,000 bytes would be 40,000 pieces.
  const bytewise: DmaView = {
    memory: r.mem,
    translate: (iova, length) => {
      if (iova >= MEM && length > 1) throw new Error('unmapped');
      return iova < MEM ? iova : r.dataStart;
    },
    mapped: () => 1,
  };
  const device = new SplitQueueDevice(8, { desc: BigInt(r.at.desc), avail: BigInt(r.at.avail), used: BigInt(r.at.used) }, bytewise, false);
  r.driver.add([{ iova: MEM, length: 40_000 }], []);
  r.driver.publish();
  assert.is(device.pop(), undefined);
  assert.is(device.broken?.fault, 'chain-too-big');
  assert.match(device.broken!.message, new RegExp(`more than ${VIRTQUEUE_MAX_SIZE} pieces`));
});

v('hostile ring: sizes and addresses the device refuses before use', () => {
  const r = setup(8);
  assert.is(new SplitQueueDevice(6, { desc: 0n, avail: 4096n, used: 8192n }, r.translate, false).broken?.fault, 'ring-not-ready');
  assert.is(new SplitQueueDevice(8, { desc: 8n, avail: 4096n, used: 8192n }, r.translate, false).broken?.fault, 'ring-not-ready');
  const unmapped = new SplitQueueDevice(8, { desc: BigInt(MEM), avail: 4096n, used: 8192n }, r.translate, false).broken;
  assert.is(unmapped?.fault, 'ring-not-ready');
  assert.match(unmapped!.message, /the desc ring at 0x100000 is not mapped/);
  // Across two mappings that meet: buffers may be (in pieces), a ring may not, as QEMU maps a ring whole.
  const across = new SplitQueueDevice(8, { desc: BigInt(AGAIN + PAGE - 64), avail: 4096n, used: 8192n }, r.translate, false).broken;
  assert.is(across?.fault, 'ring-not-ready');
  assert.match(across!.message, /one mapping covers 64 of its 128 bytes, and a ring must lie in one/);
  // Aligned IOVAs that an IOMMU moves to an odd byte: the shared 16-bit words would be misread.
  const odd: DmaView = { memory: r.mem, translate: (iova) => iova + 1 };
  const moved = new SplitQueueDevice(8, { desc: 0n, avail: 4096n, used: 8192n }, odd, false);
  assert.is(moved.broken?.fault, 'ring-not-ready');
  assert.match(moved.broken!.message, /not aligned in DMA memory/);
});

v('the driver refuses a ring size that is not a power of two, and spans short of the ring', () => {
  const r = setup(8);
  const sizes = splitSizes(8);
  const spans = { desc: r.span(r.at.desc, sizes.desc), avail: r.span(r.at.avail, sizes.avail), used: r.span(r.at.used, sizes.used) };
  assert.throws(() => new SplitQueueDriver(6, spans, false), /ring size 6 is not a power of two/);
  for (const part of ['desc', 'avail', 'used'] as const) {
    const short = { ...spans, [part]: r.span(r.at[part], sizes[part] - 1) };
    assert.throws(() => new SplitQueueDriver(8, short, false), new RegExp(`the ${part} span holds ${sizes[part] - 1} bytes; a ring of 8 needs ${sizes[part]}`));
  }
  assert.not.throws(() => new SplitQueueDriver(8, spans, false));
});

v('a driver set up again over memory that held a ring starts from a zeroed ring, not the old answers', () => {
  const r = setup(8);
  const sizes = splitSizes(8);
  const spans = () => ({ desc: r.span(r.at.desc, sizes.desc), avail: r.span(r.at.avail, sizes.avail), used: r.span(r.at.used, sizes.used) });
  const chain = (d: SplitQueueDriver<string>, token: string) => d.add([{ iova: BigInt(r.dataStart), length: 4 }], [{ iova: BigInt(r.dataStart + 64), length: 8 }], token);
  // The old queue ran: three chains used, the used index 3 in memory.
  for (const t of ['old-0', 'old-1', 'old-2']) chain(r.driver, t);
  r.driver.publish();
  for (let c = r.device.pop(); c; c = r.device.pop()) r.device.push(c.head, 8);
  // A device reset, and the queue set up again over the same memory: the device has not run yet.
  const again = new SplitQueueDriver<string>(8, spans(), false);
  const head = chain(again, 'new');
  again.publish();
  assert.is(again.popUsed(), -1, `the old used entry for head ${head} taken as the answer to the new chain`);
  assert.is(again.usedWaiting(), 0);
  const device = new SplitQueueDevice(8, { desc: BigInt(r.at.desc), avail: BigInt(r.at.avail), used: BigInt(r.at.used) }, r.translate, false);
  const c = device.pop()!;
  device.push(c.head, 5);
  assert.is(again.popUsed(), head);
  assert.equal([again.usedLength, again.usedToken], [5, 'new']);
});

v('the driver writes an IOVA given as a number or a bigint, below and above 4 GiB, and refuses what is not one', () => {
  const r = setup(8);
  const addrOf = (head: number) => r.dv.getBigUint64(r.at.desc + head * DESC.size + DESC.addr, true);
  const cases: [bigint | number, bigint][] = [
    [4096, 4096n],
    [4096n, 4096n],
    [0xffff_ffff, 0xffff_ffffn],
    [0x1_0000_0000, 0x1_0000_0000n],
    [0x12_3456_789a, 0x12_3456_789an],
    [Number.MAX_SAFE_INTEGER, BigInt(Number.MAX_SAFE_INTEGER)],
    [(1n << 64n) - 4096n, (1n << 64n) - 4096n],
  ];
  for (const [iova, expected] of cases) {
    const head = r.driver.add([{ iova, length: 1 }], []);
    assert.is(addrOf(head), expected, `IOVA ${iova}`);
  }
  const free = r.driver.free;
  for (const iova of [-1, 1.5, 2 ** 53, -1n, 1n << 64n]) assert.throws(() => r.driver.add([{ iova, length: 1 }], []), RangeError, `IOVA ${iova}`);
  assert.is(r.driver.free, free, 'a refused chain takes no descriptor');
});

v('the driver refuses a buffer length that does not fit the 32-bit field, in a chain and in a burst', () => {
  const r = setup(8);
  const good = { iova: 4096, length: 64 };
  for (const length of [-1, 2 ** 32, 1.5, NaN]) {
    assert.throws(() => r.driver.add([{ iova: 4096, length }], []), RangeError, `readable length ${length}`);
    assert.throws(() => r.driver.add([good], [{ iova: 8192, length }]), RangeError, `writable length ${length}`);
    assert.throws(() => r.driver.addBurst([{ iova: 4096, length }, good], true), RangeError, `burst length ${length}`);
  }
  assert.is(r.driver.free, 8, 'a refused buffer takes no descriptor');
  assert.is(r.driver.addBurst([good, good, { iova: 4096, length: -1 }, good], false), 2, 'a burst stops before the bad length');
  assert.is(r.driver.add([{ iova: 4096, length: 2 ** 32 - 1 }], []), 2, 'the largest length is taken');
});

v('the driver refuses used entries it never made available, or that claim too much', () => {
  const r = setup(8);
  r.driver.add([], [{ iova: BigInt(r.dataStart), length: 4 }], 'x');
  r.driver.publish();
  const c = r.device.pop()!;
  r.device.push(c.head, 4);
  const at = r.at.used + USED.ring;
  r.dv.setUint32(at + USED.len, 5, true);
  assert.throws(() => r.driver.getUsed(), (e: unknown) => e instanceof DriverRingError && e.fault === 'used-length-too-long');
  r.dv.setUint32(at + USED.id, 3, true);
  r.dv.setUint32(at + USED.len, 0, true);
  assert.throws(() => r.driver.getUsed(), (e: unknown) => e instanceof DriverRingError && e.fault === 'used-id-not-in-flight');
  r.dv.setUint16(r.at.used + USED.idx, 100, true);
  assert.throws(() => r.driver.getUsed(), (e: unknown) => e instanceof DriverRingError && e.fault === 'used-index-jump');
});

v.run();
