// The net loopback with its device side in a worker thread passes the same integrity test:
// kicks and interrupts cross threads through Atomics, rings live in shared memory.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { VIRTIO_F_VERSION_1 } from '../../generated/virtio_config.js';
import { virtio_net_hdr_mrg_rxbuf } from '../../generated/virtio_net.js';
import { SplitQueueDriver } from '../../runtime/virtio/driver-queue.js';
import { splitSizes } from '../../runtime/virtio/split-layout.js';
import { ThreadedNetLoopback } from '../../runtime/virtio/threaded-net.js';
import { DmaArena } from '../helpers/rings.js';

const t = suite('worker-thread datapath');

t('20,000 frames through a device in a worker thread arrive byte-identical', async () => {
  const arena = new DmaArena(8 << 20);
  const num = 256;
  const s = splitSizes(num);
  const ring = () => ({ desc: arena.alloc(s.desc), avail: arena.alloc(s.avail), used: arena.alloc(s.used) });
  const rxRing = ring();
  const txRing = ring();
  const eventIdx = true;
  const rx = new SplitQueueDriver<number>(num, rxRing, eventIdx);
  const tx = new SplitQueueDriver<number>(num, txRing, eventIdx);
  const device = await ThreadedNetLoopback.start({
    memory: arena.mem.buffer as SharedArrayBuffer,
    num,
    eventIdx,
    features: 1n << BigInt(VIRTIO_F_VERSION_1),
    rings: [rxRing, txRing].map((r) => ({ desc: r.desc.iova, avail: r.avail.iova, used: r.used.iova })),
    budget: num,
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
  const end = await device.stop();
  assert.is(bad, 0);
  assert.is(end.frames, total);
  assert.equal(end.broken, [undefined, undefined]);
});

t.run();
