// The net loopback and the block RAM disk with their device side in a worker thread pass the same integrity tests:
// kicks and interrupts cross threads through Atomics, rings live in shared memory.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { VIRTIO_F_VERSION_1 } from '../../generated/virtio_config.js';
import { virtio_net_hdr_mrg_rxbuf } from '../../generated/virtio_net.js';
import { SplitQueueDriver } from '../../runtime/virtio/driver-queue.js';
import { splitSizes } from '../../runtime/virtio/split-layout.js';
import { ThreadedDevice } from '../../runtime/virtio/threaded-device.js';
import { virtio_blk_outhdr, VIRTIO_BLK_S_OK, VIRTIO_BLK_T_IN, VIRTIO_BLK_T_OUT } from '../../generated/virtio_blk.js';
import { VIRTIO_BLK_SECTOR_SIZE, WORKER_POLL_US } from '../../runtime/policy.js';
import { DmaArena } from '../helpers/rings.js';

const t = suite('worker-thread datapath');

async function framesThroughWorker(pollMicros: number): Promise<void> {
  const arena = new DmaArena(8 << 20);
  const num = 256;
  const s = splitSizes(num);
  const ring = () => ({ desc: arena.alloc(s.desc), avail: arena.alloc(s.avail), used: arena.alloc(s.used) });
  const rxRing = ring();
  const txRing = ring();
  const eventIdx = true;
  const rx = new SplitQueueDriver<number>(num, rxRing, eventIdx);
  const tx = new SplitQueueDriver<number>(num, txRing, eventIdx);
  const device = await ThreadedDevice.start('net', {
    memory: arena.mem.buffer as SharedArrayBuffer,
    num,
    eventIdx,
    features: 1n << BigInt(VIRTIO_F_VERSION_1),
    rings: [rxRing, txRing].map((r) => ({ desc: r.desc.iova, avail: r.avail.iova, used: r.used.iova })),
    budget: num,
    pollMicros,
  });
  const hdr = virtio_net_hdr_mrg_rxbuf.size;
  const slots = 64;
  const rxBufs = Array.from({ length: slots }, () => arena.alloc(hdr + 1514, 64));
  const txBufs = Array.from({ length: slots }, () => arena.alloc(hdr + 1514, 64));
  for (let k = 0; k < slots; k++) rx.add([], [{ iova: rxBufs[k].iova, length: rxBufs[k].bytes.length }], k);
  rx.publish();
  rx.setInterrupts(true);
  if (rx.shouldKick()) device.kick();
  const total = 20_000;
  let sent = 0;
  let received = 0;
  let bad = 0;
  const lengths: number[] = [];
  while (received < total) {
    const batch = Math.min(slots, total - sent);
    for (let k = 0; k < batch; k++, sent++) {
      const len = 60 + ((sent * 7919) % 1454);
      const b = txBufs[k].bytes;
      for (let i = 0; i < len; i++) b[hdr + i] = (sent + i) & 0xff;
      lengths.push(len);
      tx.add([{ iova: txBufs[k].iova, length: hdr + len }], [], sent);
    }
    tx.publish();
    if (tx.shouldKick()) device.kick();
    // Wait for the device thread to deliver the batch (it interrupts RX when we asked).
    const target = received + batch;
    for (let waited = 0; received < target && waited < 200; waited++) {
      const seen = device.interrupts(0);
      for (let u = rx.getUsed(); u; u = rx.getUsed()) {
        const frame = rxBufs[u.token!].bytes.subarray(hdr, u.length);
        const n = received++;
        if (frame.length !== lengths[n] || frame.some((x, i) => x !== ((n + i) & 0xff))) bad++;
        rx.add([], [{ iova: rxBufs[u.token!].iova, length: rxBufs[u.token!].bytes.length }], u.token);
      }
      rx.publish();
      if (rx.shouldKick()) device.kick();
      rx.setInterrupts(true);
      if (received < target) await device.waitInterrupt(0, seen, 50);
    }
    for (let u = tx.getUsed(); u; u = tx.getUsed());
    assert.is(received, target, `stalled at ${received}`);
  }
  const end = await device.stop<{ frames: number }>();
  assert.is(bad, 0);
  assert.is(end.stats.frames, total);
  assert.equal(end.broken, [undefined, undefined]);
}

async function blocksThroughWorker(pollMicros: number): Promise<void> {
  const arena = new DmaArena(8 << 20);
  const num = 128;
  const s = splitSizes(num);
  const ring = { desc: arena.alloc(s.desc), avail: arena.alloc(s.avail), used: arena.alloc(s.used) };
  const q = new SplitQueueDriver<number>(num, ring, true);
  const capacity = 1024n;
  const device = await ThreadedDevice.start('block', { memory: arena.mem.buffer as SharedArrayBuffer, num, eventIdx: true, capacitySectors: capacity, id: 'threaded', rings: [{ desc: ring.desc.iova, avail: ring.avail.iova, used: ring.used.iova }], budget: num, pollMicros });
  const hdr = arena.alloc(virtio_blk_outhdr.size, 16);
  const data = arena.alloc(8 * VIRTIO_BLK_SECTOR_SIZE);
  const status = arena.alloc(1, 1);
  const request = async (type: number, sector: bigint, bytes: number) => {
    virtio_blk_outhdr.encode({ type, ioprio: 0, sector }, new DataView(hdr.bytes.buffer, hdr.bytes.byteOffset), 0);
    const out = type === VIRTIO_BLK_T_OUT;
    const h = [{ iova: hdr.iova, length: hdr.bytes.length }];
    q.add(out ? [...h, { iova: data.iova, length: bytes }] : h, out ? [{ iova: status.iova, length: 1 }] : [{ iova: data.iova, length: bytes }, { iova: status.iova, length: 1 }], 0);
    q.publish();
    const seen = device.interrupts(0);
    if (q.shouldKick()) device.kick();
    q.setInterrupts(true);
    for (let tries = 0; q.popUsed() < 0; tries++) {
      assert.ok(tries < 100, 'the device thread did not answer');
      await device.waitInterrupt(0, seen, 50);
    }
    return status.bytes[0];
  };
  let seed = 99;
  const random = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  let bad = 0;
  for (let k = 0; k < 2000; k++) {
    const sectors = 1 + Math.floor(random() * 8);
    const sector = BigInt(Math.floor(random() * (Number(capacity) - sectors)));
    const bytes = sectors * VIRTIO_BLK_SECTOR_SIZE;
    const expect = Uint8Array.from({ length: bytes }, () => Math.floor(random() * 256));
    data.bytes.set(expect);
    if ((await request(VIRTIO_BLK_T_OUT, sector, bytes)) !== VIRTIO_BLK_S_OK) bad++;
    data.bytes.fill(0);
    if ((await request(VIRTIO_BLK_T_IN, sector, bytes)) !== VIRTIO_BLK_S_OK || data.bytes.subarray(0, bytes).some((x, i) => x !== expect[i])) bad++;
  }
  const end = await device.stop<{ requests: number }>();
  assert.is(bad, 0);
  assert.is(end.stats.requests, 4000);
  assert.equal(end.broken, [undefined]);
}

// Both ways a side waits: polling first (the default), and sleeping at once.
for (const [name, pollMicros] of [['polling', WORKER_POLL_US], ['sleeping at once', 0]] as const) {
  t(`20,000 frames through a device in a worker thread arrive byte-identical (${name})`, () => framesThroughWorker(pollMicros));
  t(`block RAM disk in a worker thread: 2,000 random writes read back byte-identical (${name})`, () => blocksThroughWorker(pollMicros));
}

t('a poll time that is not a finite number of microseconds is refused before a thread starts', async () => {
  const arena = new DmaArena(1 << 16);
  for (const pollMicros of [NaN, -1, Infinity]) {
    const started = ThreadedDevice.start('block', { memory: arena.mem.buffer as SharedArrayBuffer, num: 8, eventIdx: false, capacitySectors: 8n, rings: [], budget: 8, pollMicros });
    await started.then(
      () => assert.unreachable(`pollMicros ${pollMicros} was taken`),
      (e: unknown) => assert.ok(e instanceof RangeError && e.message.includes(`pollMicros ${pollMicros}`), String(e)),
    );
  }
});

t.run();
