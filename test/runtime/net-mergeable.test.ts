// Mergeable RX buffers (VIRTIO_NET_F_MRG_RXBUF): a frame longer than one RX buffer is spread
// over as many as it takes. virtio 1.x 5.1.6.4: num_buffers counts them, every one but the last
// is filled whole, and without the feature num_buffers is 1. The device side is NetLoopback, the
// driver side NetRxFrames. The integrity test runs with the device in this thread and in a
// worker thread, as the datapath tests do.
import fc from 'fast-check';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { VIRTIO_F_VERSION_1 } from '../../generated/virtio_config.js';
import { VIRTIO_NET_F_MRG_RXBUF, virtio_net_hdr, virtio_net_hdr_mrg_rxbuf } from '../../generated/virtio_net.js';
import { NetLoopback } from '../../runtime/virtio/net-loopback.js';
import { NetRxError, NetRxFrames, frameBytes, type ReceivedFrame } from '../../runtime/virtio/net-rx.js';
import { DmaArena, type ArenaSpan } from '../helpers/rings.js';
import { HOSTS, netRig, stopLeftDevices } from '../helpers/device-hosts.js';

const m = suite('net-mergeable');
m.after.each(stopLeftDevices);

const bit = (b: number) => 1n << BigInt(b);
const MERGEABLE = bit(VIRTIO_F_VERSION_1) | bit(VIRTIO_NET_F_MRG_RXBUF);
const HDR = virtio_net_hdr_mrg_rxbuf.size;
const NUM_BUFFERS = virtio_net_hdr_mrg_rxbuf.fields.num_buffers;
/** The largest frame a virtio-net header describes: GSO frames run to 64 KiB. */
const FRAME_MAX = 65_535;

function rng(seed: number) {
  return () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

const numBuffersOf = (bytes: Uint8Array) => NUM_BUFFERS.codec.decode(new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), NUM_BUFFERS.offset) as number;
const patternByte = (frame: number, i: number) => (frame * 31 + i * 7) & 0xff;

/** Fills `span` with frame `n`'s header room and pattern; returns the chain's one readable buffer. */
function frameInto(span: ArenaSpan, n: number, length: number) {
  for (let i = 0; i < length; i++) span.bytes[HDR + i] = patternByte(n, i);
  return [{ iova: span.iova, length: HDR + length }];
}

/** An in-process loopback over rings of `num`, with the RX buffers of the sizes given posted. */
function loopback(num: number, rxSizes: number[], features = MERGEABLE) {
  const arena = new DmaArena(4 << 20);
  const rx = arena.queue<number>(num);
  const tx = arena.queue<number>(num);
  const net = new NetLoopback(rx.device, tx.device, features);
  const rxBufs = rxSizes.map((size) => arena.alloc(size, 64));
  const post = (slot: number) => rx.driver.add([], [{ iova: rxBufs[slot].iova, length: rxBufs[slot].bytes.length }], slot);
  const send = (n: number, length: number) => {
    tx.driver.add(frameInto(arena.alloc(HDR + length, 64), n, length), [], n);
    tx.driver.publish();
  };
  /** The used RX entries waiting: slot, used length, and num_buffers of a frame's first. */
  const usedRx = () => {
    const out: { slot: number; length: number }[] = [];
    for (let u = rx.driver.getUsed(); u; u = rx.driver.getUsed()) out.push({ slot: u.token!, length: u.length });
    return out;
  };
  return { net, rx, tx, rxBufs, post, send, usedRx };
}

for (const host of HOSTS)
m(`MRG_RXBUF (${host.name}): 3,000 frames up to 64 KiB over RX buffers of random sizes arrive byte-identical; num_buffers counts the buffers, all but the last filled whole`, async () => {
  const num = 256;
  const txSlots = 16;
  const rig = await netRig(host, num, 16 << 20, MERGEABLE);
  const [rx, tx] = rig.drivers;
  const random = rng(11);
  // Buffers from one header (the least the driver may give) to a page, as Linux sizes them by its traffic.
  const rxBufs = Array.from({ length: num }, () => rig.arena.alloc(HDR + Math.floor(random() * 4085), 16));
  const txBufs = Array.from({ length: txSlots }, () => rig.arena.alloc(HDR + FRAME_MAX, 64));
  // Half MTU-sized frames, half GSO-sized ones.
  const lengths = Array.from({ length: 3000 }, (_, n) => (n % 2 ? 14 + Math.floor(random() * 1500) : 1514 + Math.floor(random() * (FRAME_MAX - 1514))));
  const assembler = new NetRxFrames<number>(MERGEABLE, num);
  const posted: number[] = [];
  const post = (slot: number) => {
    rx.add([], [{ iova: rxBufs[slot].iova, length: rxBufs[slot].bytes.length }], slot);
    posted.push(slot);
  };
  for (let slot = 0; slot < num; slot++) post(slot);
  rx.publish();
  let sent = 0;
  let received = 0;
  let bad = 0;
  let merged = 0;
  while (sent < lengths.length) {
    // A batch takes as many frames as the posted buffers hold, by the buffers each will take.
    const expected: number[] = [];
    let taken = 0;
    while (expected.length < txSlots && sent < lengths.length) {
      let need = HDR + lengths[sent];
      let buffers = 0;
      while (need > 0 && taken + buffers < posted.length) need -= rxBufs[posted[taken + buffers++]].bytes.length;
      if (need > 0) break;
      tx.add(frameInto(txBufs[expected.length], sent, lengths[sent]), [], sent);
      expected.push(buffers);
      taken += buffers;
      sent++;
    }
    assert.ok(expected.length > 0, 'a frame takes more buffers than the ring holds');
    tx.publish();
    await rig.answer(1, expected.length);
    await rig.answer(0, taken);
    for (let u = tx.getUsed(); u; u = tx.getUsed());
    for (const want of expected) {
      const n = received++;
      let frame: ReceivedFrame<number> | undefined;
      while (!frame) {
        const u = rx.getUsed()!;
        frame = assembler.take(u.token!, rxBufs[u.token!].bytes.subarray(0, u.length));
      }
      if (frame.tokens.length !== want) bad++;
      if (want > 1) merged++;
      // Every buffer but the last filled whole: the header and the part in the first, the part in the others.
      for (let k = 0; k < frame.parts.length - 1; k++) if (frame.parts[k].length + (k === 0 ? HDR : 0) !== rxBufs[frame.tokens[k]].bytes.length) bad++;
      let i = 0;
      for (const part of frame.parts) for (const byte of part) if (byte !== patternByte(n, i++)) bad++;
      if (i !== lengths[n]) bad++;
    }
    assert.is(rx.usedWaiting(), 0, 'no RX entry beyond the frames sent');
    for (const slot of posted.splice(0, taken)) post(slot);
    rx.publish();
  }
  const end = await rig.finish();
  assert.is(received, lengths.length);
  assert.is(bad, 0);
  assert.ok(merged > lengths.length / 2, `frames merged: ${merged}`);
  assert.equal(end.stats, { frames: lengths.length, bytes: lengths.reduce((a, b) => a + b, 0), truncated: 0, merged, malformed: 0 });
  assert.equal(end.broken, [undefined, undefined]);
});

m('a frame waits, holding the buffers it has, until the driver posts enough; none of it is used before', () => {
  const { net, rx, tx, rxBufs, post, send, usedRx } = loopback(8, [1024, 1024, 1024]);
  post(0);
  post(1);
  rx.driver.publish();
  send(0, 2500); // 12 + 2500 bytes: three buffers of 1024
  assert.is(net.run(8), 0);
  assert.is(tx.driver.usedWaiting(), 0, 'TX not used');
  assert.is(rx.driver.usedWaiting(), 0, 'RX not used');
  post(2);
  rx.driver.publish();
  assert.is(net.run(8), 1);
  const used = usedRx();
  assert.equal(used, [{ slot: 0, length: 1024 }, { slot: 1, length: 1024 }, { slot: 2, length: 2512 - 2048 }]);
  assert.is(numBuffersOf(rxBufs[0].bytes), 3);
  const got = [rxBufs[0].bytes.subarray(HDR), rxBufs[1].bytes, rxBufs[2].bytes.subarray(0, 2512 - 2048)].flatMap((b) => [...b]);
  assert.ok(got.every((byte, i) => byte === patternByte(0, i)) && got.length === 2500);
  assert.equal(net.stats, { frames: 1, bytes: 2500, truncated: 0, merged: 1, malformed: 0 });
});

for (const host of HOSTS.filter((h) => h.pollMicros !== undefined))
m(`MRG_RXBUF (${host.name}): a frame waiting for RX buffers goes out whole once the driver posts the last one it needs`, async () => {
  const rig = await netRig(host, 8, 1 << 20, MERGEABLE);
  const [rx, tx] = rig.drivers;
  const bufs = [0, 1, 2].map(() => rig.arena.alloc(1024, 64));
  const post = (k: number) => rx.add([], [{ iova: bufs[k].iova, length: 1024 }], k);
  post(0);
  post(1);
  rx.publish();
  tx.add(frameInto(rig.arena.alloc(HDR + 2500), 0, 2500), [], 0);
  tx.publish();
  await rig.answer(1, 0); // kicks as the drivers ask, waits for nothing
  // Long enough for the thread to take the frame, find two buffers of the three it needs, poll
  // and sleep; it must not use the frame or the buffers meanwhile.
  await new Promise((r) => setTimeout(r, 100));
  assert.is(tx.usedWaiting() + rx.usedWaiting(), 0, 'nothing used before the third buffer');
  post(2);
  rx.publish();
  await rig.answer(0, 3);
  await rig.answer(1, 1);
  const frame = new NetRxFrames<number>(MERGEABLE, 8);
  let got: ReceivedFrame<number> | undefined;
  for (let u = rx.getUsed(); u; u = rx.getUsed()) got = frame.take(u.token!, bufs[u.token!].bytes.subarray(0, u.length)) ?? got;
  assert.equal(got?.tokens, [0, 1, 2]);
  assert.ok(frameBytes(got!).every((b, i) => b === patternByte(0, i)) && got!.length === 2500);
  const end = await rig.finish();
  assert.equal(end.stats, { frames: 1, bytes: 2500, truncated: 0, merged: 1, malformed: 0 });
});

m('a frame longer than a whole ring of buffers is delivered cut short over all of them, and counted', () => {
  const { net, rx, rxBufs, post, send, usedRx } = loopback(4, [256, 256, 256, 256]);
  for (let slot = 0; slot < 4; slot++) post(slot);
  rx.driver.publish();
  send(0, 3000);
  send(1, 100);
  assert.is(net.run(1), 1, 'no wait for a fifth buffer the ring cannot hold');
  assert.equal(usedRx(), [0, 1, 2, 3].map((slot) => ({ slot, length: 256 })));
  assert.is(numBuffersOf(rxBufs[0].bytes), 4);
  assert.equal(net.stats, { frames: 1, bytes: 4 * 256 - HDR, truncated: 1, merged: 1, malformed: 0 });
  // The next frame takes one buffer again, and says so.
  post(0);
  rx.driver.publish();
  assert.is(net.run(1), 1);
  assert.equal(usedRx(), [{ slot: 0, length: HDR + 100 }]);
  assert.is(numBuffersOf(rxBufs[0].bytes), 1);
});

m('without MRG_RXBUF a frame takes one buffer: cut short, num_buffers 1 (VERSION_1 alone)', () => {
  const { net, rx, rxBufs, post, send, usedRx } = loopback(8, [1024, 1024], bit(VIRTIO_F_VERSION_1));
  assert.is(net.mergeable, false);
  post(0);
  post(1);
  rx.driver.publish();
  send(0, 2500);
  assert.is(net.run(8), 1);
  assert.equal(usedRx(), [{ slot: 0, length: 1024 }]);
  assert.is(numBuffersOf(rxBufs[0].bytes), 1);
  assert.equal(net.stats, { frames: 1, bytes: 1024 - HDR, truncated: 1, merged: 0, malformed: 0 });
});

/** The bytes of a fuzzed entry whose first buffer holds a header. */
const usedBufferAt = (e: { count: number; body: number }) => usedBuffer(e.count, Math.max(0, e.body));

/** A used RX buffer as a device might write it: a header with num_buffers `count`, then `body` bytes. */
function usedBuffer(count: number, body: number): Uint8Array {
  const bytes = new Uint8Array(HDR + body);
  NUM_BUFFERS.codec.encode(count, new DataView(bytes.buffer), NUM_BUFFERS.offset);
  bytes.fill(7, HDR);
  return bytes;
}

m('NetRxFrames gathers a frame by num_buffers: the header apart, the parts in order, the tokens to post again', () => {
  const rx = new NetRxFrames<string>(MERGEABLE, 8);
  assert.is(rx.take('a', usedBuffer(3, 4)), undefined);
  assert.ok(rx.partial);
  assert.is(rx.take('b', new Uint8Array([1, 2])), undefined);
  const frame = rx.take('c', new Uint8Array([3]))!;
  assert.is(rx.partial, false);
  assert.equal(frame.tokens, ['a', 'b', 'c']);
  assert.is(frame.length, 7);
  assert.equal([...frameBytes(frame)], [7, 7, 7, 7, 1, 2, 3]);
  assert.is(frame.header.length, HDR);
  assert.equal(rx.take('d', usedBuffer(1, 0))!.tokens, ['d'], 'the next frame starts afresh');
});

m("NetRxFrames refuses what a device must not answer: a first buffer shorter than the header, num_buffers 0 or past the ring", () => {
  const refuses = (fault: string, f: () => unknown) => {
    try {
      f();
    } catch (e) {
      assert.instance(e, NetRxError);
      assert.is((e as NetRxError).fault, fault);
      return;
    }
    assert.unreachable(`no ${fault}`);
  };
  refuses('short-header', () => new NetRxFrames<number>(MERGEABLE, 8).take(0, new Uint8Array(HDR - 1)));
  refuses('bad-num-buffers', () => new NetRxFrames<number>(MERGEABLE, 8).take(0, usedBuffer(0, 10)));
  refuses('bad-num-buffers', () => new NetRxFrames<number>(MERGEABLE, 8).take(0, usedBuffer(9, 10)));
  assert.ok(new NetRxFrames<number>(MERGEABLE, 8).take(0, usedBuffer(1, 10)), 'one is a whole frame');
});

m('NetRxFrames without MRG_RXBUF: each buffer a frame, whatever num_buffers holds (vhost-net once left it unset)', () => {
  const rx = new NetRxFrames<number>(bit(VIRTIO_F_VERSION_1), 8);
  assert.is(rx.mergeable, false);
  const frame = rx.take(0, usedBuffer(5, 3))!;
  assert.equal(frame.tokens, [0]);
  assert.is(frame.length, 3);
  const legacy = new NetRxFrames<number>(0n, 8);
  assert.is(legacy.headerSize, virtio_net_hdr.size);
  assert.is(legacy.take(0, new Uint8Array(virtio_net_hdr.size + 2))!.length, 2);
});

m('NetRxFrames against any sequence of used entries: frames of consecutive entries, as many as the first one counts, or a NetRxError', () => {
  const entry = fc.record({ count: fc.integer({ min: 0, max: 0xffff }), body: fc.integer({ min: -HDR, max: 40 }) });
  fc.assert(
    fc.property(fc.boolean(), fc.integer({ min: 1, max: 16 }), fc.array(entry, { maxLength: 60 }), (mergeable, ringSize, entries) => {
      const features = mergeable ? MERGEABLE : bit(VIRTIO_F_VERSION_1);
      let rx = new NetRxFrames<number>(features, ringSize);
      let first = 0;
      entries.forEach(({ count, body }, k) => {
        const bytes = body < 0 ? new Uint8Array(HDR + body) : usedBuffer(count, body);
        let frame: ReceivedFrame<number> | undefined;
        try {
          frame = rx.take(k, bytes);
        } catch (e) {
          if (!(e instanceof NetRxError)) throw e;
          // As a driver resets its device: the next entry starts a frame.
          rx = new NetRxFrames<number>(features, ringSize);
          first = k + 1;
          return;
        }
        if (!frame) return;
        const want = mergeable ? numBuffersOf(usedBufferAt(entries[first])) : 1;
        assert.equal(frame.tokens, Array.from({ length: k - first + 1 }, (_, i) => first + i), 'consecutive entries');
        assert.is(frame.tokens.length, want);
        assert.ok(want >= 1 && want <= ringSize);
        assert.is(frame.length, frame.parts.reduce((n, p) => n + p.length, 0));
        first = k + 1;
      });
    }),
    { numRuns: 2000, seed: 3 },
  );
});

m.run();
