// Net loopback and block RAM disk on the split ring: integrity over many frames and writes,
// and every request the block device must answer with an error.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { VIRTIO_F_VERSION_1 } from '../../generated/virtio_config.js';
import { virtio_net_hdr, virtio_net_hdr_mrg_rxbuf } from '../../generated/virtio_net.js';
import { VIRTIO_BLK_ID_BYTES, VIRTIO_BLK_S_IOERR, VIRTIO_BLK_S_OK, VIRTIO_BLK_S_UNSUPP, VIRTIO_BLK_T_FLUSH, VIRTIO_BLK_T_GET_ID, VIRTIO_BLK_T_IN, VIRTIO_BLK_T_OUT, virtio_blk_outhdr } from '../../generated/virtio_blk.js';
import { VIRTIO_BLK_SECTOR_SIZE } from '../../runtime/policy.js';
import { BlockRamDisk } from '../../runtime/virtio/block.js';
import { NetLoopback } from '../../runtime/virtio/net-loopback.js';
import { DmaArena } from '../helpers/rings.js';

const p = suite('datapath');

function rng(seed: number) {
  return () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

p('net loopback: 100,000 frames of random sizes arrive byte-identical, behind the header the features imply', () => {
  const arena = new DmaArena(8 << 20);
  const rx = arena.queue<number>(256);
  const tx = arena.queue<number>(256);
  const net = new NetLoopback(rx.device, tx.device, 1n << BigInt(VIRTIO_F_VERSION_1));
  assert.is(net.headerSize, virtio_net_hdr_mrg_rxbuf.size);
  assert.is(new NetLoopback(rx.device, tx.device, 0n).headerSize, virtio_net_hdr.size);
  const MTU = 1514;
  const slots = 64;
  const txBufs = Array.from({ length: slots }, () => arena.alloc(net.headerSize + MTU, 64));
  const rxBufs = Array.from({ length: slots }, () => arena.alloc(net.headerSize + MTU, 64));
  const random = rng(42);
  const sent = new Map<number, Uint8Array>();
  let received = 0;
  let mismatches = 0;
  const post = (k: number) => rx.driver.add([], [{ iova: rxBufs[k].iova, length: rxBufs[k].bytes.length }], k);
  for (let k = 0; k < slots; k++) post(k);
  rx.driver.publish();
  for (let frame = 0; frame < 100_000; ) {
    // Send a batch.
    const batch = Math.min(slots, 100_000 - frame);
    for (let k = 0; k < batch; k++, frame++) {
      const len = 14 + Math.floor(random() * (MTU - 14));
      const b = txBufs[k].bytes;
      for (let i = 0; i < len; i++) b[net.headerSize + i] = (frame * 31 + i * 7) & 0xff;
      sent.set(frame, b.slice(net.headerSize, net.headerSize + len));
      tx.driver.add([{ iova: txBufs[k].iova, length: net.headerSize + len }], [], frame);
    }
    tx.driver.publish();
    net.run(batch);
    for (let u = tx.driver.getUsed(); u; u = tx.driver.getUsed());
    for (let u = rx.driver.getUsed(); u; u = rx.driver.getUsed()) {
      const k = u.token!;
      const got = rxBufs[k].bytes.subarray(net.headerSize, u.length);
      const want = sent.get(received)!;
      if (got.length !== want.length || !got.every((x, i) => x === want[i])) mismatches++;
      sent.delete(received);
      received++;
      post(k);
    }
    rx.driver.publish();
  }
  assert.is(received, 100_000);
  assert.is(mismatches, 0);
  assert.equal(net.stats, { frames: 100_000, bytes: net.stats.bytes, truncated: 0 });
});

function blockSetup() {
  const arena = new DmaArena(16 << 20);
  const q = arena.queue<number>(128);
  const capacity = 2048n;
  const disk = new BlockRamDisk(q.device, capacity, 'uapigen-ramdisk');
  const hdr = arena.alloc(virtio_blk_outhdr.size, 16);
  const data = arena.alloc(64 * VIRTIO_BLK_SECTOR_SIZE);
  const status = arena.alloc(1, 1);
  /** One request, round trip; returns the status and the used length. */
  const request = (type: number, sector: bigint, bytes: number, write?: Uint8Array) => {
    virtio_blk_outhdr.encode({ type, ioprio: 0, sector }, new DataView(hdr.bytes.buffer, hdr.bytes.byteOffset), 0);
    if (write) data.bytes.set(write);
    const readable = [{ iova: hdr.iova, length: hdr.bytes.length }];
    const writable = [];
    if (type === VIRTIO_BLK_T_OUT) readable.push({ iova: data.iova, length: bytes });
    else if (bytes) writable.push({ iova: data.iova, length: bytes });
    writable.push({ iova: status.iova, length: 1 });
    q.driver.add(readable, writable, 0);
    q.driver.publish();
    disk.run(1);
    const used = q.driver.getUsed()!;
    return { status: status.bytes[0], length: used.length };
  };
  return { disk, request, data, capacity };
}

p('block: 10,000 random writes read back byte-identical', () => {
  const { request, data, capacity } = blockSetup();
  const random = rng(7);
  const shadow = new Uint8Array(Number(capacity) * VIRTIO_BLK_SECTOR_SIZE);
  let bad = 0;
  for (let k = 0; k < 10_000; k++) {
    const sectors = 1 + Math.floor(random() * 16);
    const sector = BigInt(Math.floor(random() * (Number(capacity) - sectors)));
    const bytes = sectors * VIRTIO_BLK_SECTOR_SIZE;
    const payload = new Uint8Array(bytes);
    for (let i = 0; i < bytes; i++) payload[i] = Math.floor(random() * 256);
    if (request(VIRTIO_BLK_T_OUT, sector, bytes, payload).status !== VIRTIO_BLK_S_OK) bad++;
    shadow.set(payload, Number(sector) * VIRTIO_BLK_SECTOR_SIZE);
    // Read back a random range and compare with what the disk must hold.
    const rs = Math.floor(random() * 16) + 1;
    const rsector = Math.floor(random() * (Number(capacity) - rs));
    const r = request(VIRTIO_BLK_T_IN, BigInt(rsector), rs * VIRTIO_BLK_SECTOR_SIZE);
    const want = shadow.subarray(rsector * VIRTIO_BLK_SECTOR_SIZE, (rsector + rs) * VIRTIO_BLK_SECTOR_SIZE);
    if (r.status !== VIRTIO_BLK_S_OK || r.length !== want.length + 1 || !data.bytes.subarray(0, want.length).every((x, i) => x === want[i])) bad++;
  }
  assert.is(bad, 0);
});

p('block: out of range is IOERR (a wrapping sector too), unknown types UNSUPP, FLUSH and GET_ID answer', () => {
  const { request, data, capacity, disk } = blockSetup();
  assert.is(request(VIRTIO_BLK_T_IN, capacity, VIRTIO_BLK_SECTOR_SIZE).status, VIRTIO_BLK_S_IOERR, 'one past the end');
  assert.is(request(VIRTIO_BLK_T_IN, capacity - 1n, 2 * VIRTIO_BLK_SECTOR_SIZE).status, VIRTIO_BLK_S_IOERR, 'straddles the end');
  assert.is(request(VIRTIO_BLK_T_OUT, (1n << 64n) - 1n, VIRTIO_BLK_SECTOR_SIZE, new Uint8Array(VIRTIO_BLK_SECTOR_SIZE)).status, VIRTIO_BLK_S_IOERR, 'a sector where capacity - sector would wrap');
  assert.is(request(VIRTIO_BLK_T_OUT, 0n, 100, new Uint8Array(100)).status, VIRTIO_BLK_S_IOERR, 'not whole sectors');
  assert.is(request(0x7777, 0n, 0).status, VIRTIO_BLK_S_UNSUPP);
  assert.is(request(VIRTIO_BLK_T_FLUSH, 0n, 0).status, VIRTIO_BLK_S_OK);
  const id = request(VIRTIO_BLK_T_GET_ID, 0n, VIRTIO_BLK_ID_BYTES);
  assert.is(id.status, VIRTIO_BLK_S_OK);
  assert.is(new TextDecoder().decode(data.bytes.subarray(0, 15)), 'uapigen-ramdisk');
  assert.equal([disk.stats.ioErrors, disk.stats.unsupported], [4, 1]);
});

p.run();
