// Net loopback and block RAM disk on the split ring: integrity over many frames and writes,
// and every request the block device must answer with an error. Every test runs with the
// device in this thread and in a worker thread (polling first, and sleeping at once): the
// same test, through the rigs of test/helpers/device-hosts.ts.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { VIRTIO_F_VERSION_1 } from '../../generated/virtio_config.js';
import { virtio_net_hdr, virtio_net_hdr_mrg_rxbuf } from '../../generated/virtio_net.js';
import { VIRTIO_BLK_ID_BYTES, VIRTIO_BLK_S_IOERR, VIRTIO_BLK_S_OK, VIRTIO_BLK_S_UNSUPP, VIRTIO_BLK_T_FLUSH, VIRTIO_BLK_T_GET_ID, VIRTIO_BLK_T_IN, VIRTIO_BLK_T_OUT, virtio_blk_outhdr } from '../../generated/virtio_blk.js';
import { VIRTIO_BLK_SECTOR_SIZE } from '../../runtime/policy.js';
import { NetLoopback } from '../../runtime/virtio/net-loopback.js';
import { BlockRamDisk } from '../../runtime/virtio/block.js';
import { DmaArena } from '../helpers/rings.js';
import { blockRig, HOSTS, netRig, stopLeftDevices, type Host } from '../helpers/device-hosts.js';

const p = suite('datapath');
// A test that fails with its device thread running would otherwise leave the run waiting on it.
p.after.each(stopLeftDevices);

function rng(seed: number) {
  return () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

p('net loopback: the header is the one the features imply', () => {
  const arena = new DmaArena(1 << 20);
  const rx = arena.queue<number>(8);
  const tx = arena.queue<number>(8);
  assert.is(new NetLoopback(rx.device, tx.device, 1n << BigInt(VIRTIO_F_VERSION_1)).headerSize, virtio_net_hdr_mrg_rxbuf.size);
  assert.is(new NetLoopback(rx.device, tx.device, 0n).headerSize, virtio_net_hdr.size);
});

p('net loopback: a TX chain shorter than its header is returned used and counted, not sent as an empty frame', () => {
  const arena = new DmaArena(1 << 20);
  const rx = arena.queue<number>(8);
  const tx = arena.queue<number>(8);
  const net = new NetLoopback(rx.device, tx.device, 1n << BigInt(VIRTIO_F_VERSION_1));
  const inbox = arena.alloc(2048, 64);
  rx.driver.add([], [{ iova: inbox.iova, length: 2048 }], 0);
  rx.driver.publish();
  const short = arena.alloc(virtio_net_hdr_mrg_rxbuf.size - 1, 64);
  const whole = arena.alloc(virtio_net_hdr_mrg_rxbuf.size + 60, 64);
  tx.driver.add([{ iova: short.iova, length: short.bytes.length }], [], 1);
  tx.driver.add([{ iova: whole.iova, length: whole.bytes.length }], [], 2);
  tx.driver.publish();
  assert.is(net.run(8), 2);
  assert.equal([tx.driver.getUsed()?.token, tx.driver.getUsed()?.token], [1, 2], 'both TX chains used');
  assert.equal(rx.driver.getUsed(), { head: 0, length: virtio_net_hdr_mrg_rxbuf.size + 60, token: 0 }, 'the RX buffer took the whole frame, not the short one');
  assert.equal(net.stats, { frames: 1, bytes: 60, truncated: 0, merged: 0, malformed: 1 });
});

p("a device model's run takes a whole budget: a fraction would move one more, NaN nothing", () => {
  const arena = new DmaArena(1 << 20);
  const net = new NetLoopback(arena.queue<number>(8).device, arena.queue<number>(8).device, 0n);
  const disk = new BlockRamDisk(arena.queue<number>(8).device, 8n, 'd');
  for (const budget of [1.5, NaN, -1]) {
    assert.throws(() => net.run(budget), new RegExp(`a run's budget of ${budget}: a whole number`), `net ${budget}`);
    assert.throws(() => disk.run(budget), new RegExp(`a run's budget of ${budget}: a whole number`), `disk ${budget}`);
  }
  assert.is(net.run(0), 0);
  assert.is(disk.run(4), 0, 'nothing on the ring');
});

for (const host of HOSTS)
p(`net loopback (${host.name}): 100,000 frames of random sizes arrive byte-identical, behind the header`, async () => {
  const rig = await netRig(host, 256, 8 << 20);
  const [rx, tx] = rig.drivers;
  const headerSize = virtio_net_hdr_mrg_rxbuf.size;
  const MTU = 1514;
  const slots = 64;
  const txBufs = Array.from({ length: slots }, () => rig.arena.alloc(headerSize + MTU, 64));
  const rxBufs = Array.from({ length: slots }, () => rig.arena.alloc(headerSize + MTU, 64));
  const random = rng(42);
  const sent = new Map<number, Uint8Array>();
  let received = 0;
  let mismatches = 0;
  let sentBytes = 0;
  const post = (k: number) => rx.add([], [{ iova: rxBufs[k].iova, length: rxBufs[k].bytes.length }], k);
  for (let k = 0; k < slots; k++) post(k);
  rx.publish();
  for (let frame = 0; frame < 100_000; ) {
    // Send a batch.
    const batch = Math.min(slots, 100_000 - frame);
    for (let k = 0; k < batch; k++, frame++) {
      const len = 14 + Math.floor(random() * (MTU - 14));
      const b = txBufs[k].bytes;
      for (let i = 0; i < len; i++) b[headerSize + i] = (frame * 31 + i * 7) & 0xff;
      sent.set(frame, b.slice(headerSize, headerSize + len));
      sentBytes += len;
      tx.add([{ iova: txBufs[k].iova, length: headerSize + len }], [], frame);
    }
    tx.publish();
    await rig.answer(0, batch);
    await rig.answer(1, batch);
    for (let u = tx.getUsed(); u; u = tx.getUsed());
    for (let u = rx.getUsed(); u; u = rx.getUsed()) {
      const k = u.token!;
      const got = rxBufs[k].bytes.subarray(headerSize, u.length);
      const want = sent.get(received)!;
      if (got.length !== want.length || !got.every((x, i) => x === want[i])) mismatches++;
      sent.delete(received);
      received++;
      post(k);
    }
    rx.publish();
  }
  const end = await rig.finish();
  assert.is(received, 100_000);
  assert.is(mismatches, 0);
  assert.equal(end.stats, { frames: 100_000, bytes: sentBytes, truncated: 0, merged: 0, malformed: 0 });
  assert.equal(end.broken, [undefined, undefined]);
});

async function blockSetup(host: Host) {
  const capacity = 2048n;
  const rig = await blockRig(host, 128, 16 << 20, capacity, 'uapigen-ramdisk');
  const [q] = rig.drivers;
  const hdr = rig.arena.alloc(virtio_blk_outhdr.size, 16);
  const data = rig.arena.alloc(64 * VIRTIO_BLK_SECTOR_SIZE);
  const status = rig.arena.alloc(1, 1);
  /** One request, round trip; returns the status and the used length. */
  const request = async (type: number, sector: bigint, bytes: number, write?: Uint8Array) => {
    virtio_blk_outhdr.encode({ type, ioprio: 0, sector }, new DataView(hdr.bytes.buffer, hdr.bytes.byteOffset), 0);
    if (write) data.bytes.set(write);
    const readable = [{ iova: hdr.iova, length: hdr.bytes.length }];
    const writable = [];
    if (type === VIRTIO_BLK_T_OUT) readable.push({ iova: data.iova, length: bytes });
    else if (bytes) writable.push({ iova: data.iova, length: bytes });
    writable.push({ iova: status.iova, length: 1 });
    q.add(readable, writable, 0);
    q.publish();
    await rig.answer(0, 1);
    const used = q.getUsed()!;
    return { status: status.bytes[0], length: used.length };
  };
  return { rig, request, data, capacity };
}

for (const host of HOSTS)
p(`block (${host.name}): 10,000 random writes read back byte-identical`, async () => {
  const { rig, request, data, capacity } = await blockSetup(host);
  const random = rng(7);
  const shadow = new Uint8Array(Number(capacity) * VIRTIO_BLK_SECTOR_SIZE);
  let bad = 0;
  for (let k = 0; k < 10_000; k++) {
    const sectors = 1 + Math.floor(random() * 16);
    const sector = BigInt(Math.floor(random() * (Number(capacity) - sectors)));
    const bytes = sectors * VIRTIO_BLK_SECTOR_SIZE;
    const payload = new Uint8Array(bytes);
    for (let i = 0; i < bytes; i++) payload[i] = Math.floor(random() * 256);
    if ((await request(VIRTIO_BLK_T_OUT, sector, bytes, payload)).status !== VIRTIO_BLK_S_OK) bad++;
    shadow.set(payload, Number(sector) * VIRTIO_BLK_SECTOR_SIZE);
    // Read back a random range and compare with what the disk must hold.
    const rs = Math.floor(random() * 16) + 1;
    const rsector = Math.floor(random() * (Number(capacity) - rs));
    const r = await request(VIRTIO_BLK_T_IN, BigInt(rsector), rs * VIRTIO_BLK_SECTOR_SIZE);
    const want = shadow.subarray(rsector * VIRTIO_BLK_SECTOR_SIZE, (rsector + rs) * VIRTIO_BLK_SECTOR_SIZE);
    if (r.status !== VIRTIO_BLK_S_OK || r.length !== want.length + 1 || !data.bytes.subarray(0, want.length).every((x, i) => x === want[i])) bad++;
  }
  const end = await rig.finish();
  assert.is(bad, 0);
  assert.is(end.stats.requests, 20_000);
  assert.equal(end.broken, [undefined]);
});

for (const host of HOSTS)
p(`block (${host.name}): out of range is IOERR (a wrapping sector too), unknown types UNSUPP, FLUSH and GET_ID answer`, async () => {
  const { rig, request, data, capacity } = await blockSetup(host);
  assert.is((await request(VIRTIO_BLK_T_IN, capacity, VIRTIO_BLK_SECTOR_SIZE)).status, VIRTIO_BLK_S_IOERR, 'one past the end');
  assert.is((await request(VIRTIO_BLK_T_IN, capacity - 1n, 2 * VIRTIO_BLK_SECTOR_SIZE)).status, VIRTIO_BLK_S_IOERR, 'straddles the end');
  assert.is((await request(VIRTIO_BLK_T_OUT, (1n << 64n) - 1n, VIRTIO_BLK_SECTOR_SIZE, new Uint8Array(VIRTIO_BLK_SECTOR_SIZE))).status, VIRTIO_BLK_S_IOERR, 'a sector where capacity - sector would wrap');
  assert.is((await request(VIRTIO_BLK_T_OUT, 0n, 100, new Uint8Array(100))).status, VIRTIO_BLK_S_IOERR, 'not whole sectors');
  // The disk reads the 64-bit sector as two words: one that kept the low word alone would write sector 1 here.
  assert.is((await request(VIRTIO_BLK_T_OUT, (1n << 32n) + 1n, VIRTIO_BLK_SECTOR_SIZE, new Uint8Array(VIRTIO_BLK_SECTOR_SIZE))).status, VIRTIO_BLK_S_IOERR, 'a sector whose low word is within the disk');
  assert.is((await request(0x7777, 0n, 0)).status, VIRTIO_BLK_S_UNSUPP);
  assert.is((await request(VIRTIO_BLK_T_FLUSH, 0n, 0)).status, VIRTIO_BLK_S_OK);
  const id = await request(VIRTIO_BLK_T_GET_ID, 0n, VIRTIO_BLK_ID_BYTES);
  assert.is(id.status, VIRTIO_BLK_S_OK);
  assert.is(new TextDecoder().decode(data.bytes.subarray(0, 15)), 'uapigen-ramdisk');
  const end = await rig.finish();
  assert.equal([end.stats.ioErrors, end.stats.unsupported], [5, 1]);
});

p.run();
