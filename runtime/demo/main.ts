// `npm start`: the whole stack on the simulated vfio-vhost device, with no hardware and no
// flags. It discovers the device, negotiates features, sets up two virtqueues in DMA memory
// mapped through the VFIO container, sends frames through the device's loopback (then frames
// longer than an RX buffer, over mergeable RX buffers), shows a ring the device refuses
// reported on its error eventfd, writes and reads back blocks on a RAM disk, and prints
// counts, integrity and throughput.
import { VHOST_DEVICE_S_RUNNING, VHOST_DEVICE_S_STOPPED } from '../../generated/vfio_vhost.js';
import { VIRTIO_F_VERSION_1 } from '../../generated/virtio_config.js';
import { VIRTIO_RING_F_EVENT_IDX } from '../../generated/virtio_ring.js';
import { VIRTIO_NET_F_MRG_RXBUF } from '../../generated/virtio_net.js';
import { virtio_blk_outhdr, VIRTIO_BLK_S_OK, VIRTIO_BLK_T_IN, VIRTIO_BLK_T_OUT } from '../../generated/virtio_blk.js';
import { virtio_net_hdr_mrg_rxbuf } from '../../generated/virtio_net.js';
import { describeDevices } from '../devices.js';
import { DmaPool } from '../dma-pool.js';
import { takeEventfd } from '../eventfd.js';
import { VIRTIO_BLK_SECTOR_SIZE } from '../policy.js';
import { SimKernel } from '../sim/kernel.js';
import { DEVICE_NAME, GROUP_ID, RX_QUEUE, TX_QUEUE } from '../sim/parameters.js';
import { BlockRamDisk } from '../virtio/block.js';
import { SplitQueueDevice } from '../virtio/device-queue.js';
import { SplitQueueDriver } from '../virtio/driver-queue.js';
import { NetRxFrames, type ReceivedFrame } from '../virtio/net-rx.js';
import { ALIGN, allocSplitRing, AVAIL, INDEX_MASK, ringIovas } from '../virtio/split-layout.js';
import { decodeFeatures, featureBit } from '../vhost/features.js';
import { VfioVhostDevice } from '../vhost/vfio-vhost-device.js';
import * as S from './settings.js';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 0x1_0000_0000);
}

/**
 * Whether `bytes` holds the pattern frame `n` was sent with, from byte `from` of the frame on: a
 * plain loop, as a callback a byte made the check cost more than the datapath it checks.
 */
function holdsPattern(bytes: Uint8Array, n: number, from = 0): boolean {
  for (let i = 0; i < bytes.length; i++) if (bytes[i] !== ((n + from + i) & 0xff)) return false;
  return true;
}

/** Fills `length` bytes of a frame after its header with the pattern of frame `n`. */
function fillPattern(bytes: Uint8Array, n: number, length: number): void {
  for (let i = 0; i < length; i++) bytes[hdr + i] = (n + i) & 0xff;
}

function queueMemory(pool: DmaPool, num: number) {
  return allocSplitRing(num, (size, align) => pool.alloc(size, align));
}

const kernel = new SimKernel();
console.log('# Discovery\n');
process.stdout.write(describeDevices(kernel));

const dev = new VfioVhostDevice(kernel, { group: GROUP_ID, name: DEVICE_NAME });
dev.vhost.setOwner();
const offered = dev.vhost.getFeatures();
const wanted = [VIRTIO_F_VERSION_1, VIRTIO_RING_F_EVENT_IDX, VIRTIO_NET_F_MRG_RXBUF].reduce((a, b) => a | featureBit(b), 0n) & offered;
dev.vhost.setFeatures(wanted);
console.log(`\n# Features\n\nnegotiated: ${decodeFeatures(wanted).names.join(' ')}`);

const pool = new DmaPool(kernel, dev.container, S.DMA_POOL_SIZE, S.IOVA_BASE);
const eventIdx = true;
const rings = [queueMemory(pool, S.RING_SIZE), queueMemory(pool, S.RING_SIZE)];
// The drivers first: each zeroes its ring, which the device must not be reading yet.
const rx = new SplitQueueDriver<number>(S.RING_SIZE, rings[RX_QUEUE], eventIdx);
const tx = new SplitQueueDriver<number>(S.RING_SIZE, rings[TX_QUEUE], eventIdx);
rings.forEach((r, q) => dev.setUpQueue(q, S.RING_SIZE, r));
const calls = [kernel.eventfd(), kernel.eventfd()];
dev.attachCallEventfds(calls);
// The ERR IRQ (uapi/vfio_vhost.h): signalled when the device stops a queue over a ring it refuses.
const errs = [kernel.eventfd(), kernel.eventfd()];
dev.attachErrorEventfds(errs);
const taken = (fd: number) => Number(takeEventfd(kernel, fd));
dev.vhost.setState(VHOST_DEVICE_S_RUNNING);
const hdr = virtio_net_hdr_mrg_rxbuf.size;
const rxBufs = Array.from({ length: S.BATCH }, () => pool.alloc(hdr + S.FRAME_MAX));
const txBufs = Array.from({ length: S.BATCH }, () => pool.alloc(hdr + S.FRAME_MAX));

console.log(`\n# Net loopback: ${S.FRAMES} frames of ${S.FRAME_MIN}-${S.FRAME_MAX} bytes through vfio-vhost\n`);
const random = rng(S.SEED);
const lengths: number[] = [];
let sentBytes = 0;
let received = 0;
let corrupt = 0;
let kicks = 0;
let interrupts = 0;
rx.setInterrupts(true);
for (let k = 0; k < S.BATCH; k++) rx.add([], [{ iova: rxBufs[k].iova, length: rxBufs[k].bytes.length }], k);
const kick = (queue: number, driver: SplitQueueDriver<number>) => {
  if (!driver.shouldKick()) return;
  dev.kick(queue);
  kicks++;
};
rx.publish();
kick(RX_QUEUE, rx);
const start = performance.now();
// Filling the frames with their pattern and checking it on arrival is the demo's own work, not
// the datapath's: timed apart, and left out of the throughput, as in the block section.
let patternMs = 0;
for (let sent = 0; sent < S.FRAMES; ) {
  const batch = Math.min(S.BATCH, S.FRAMES - sent);
  for (let k = 0; k < batch; k++, sent++) {
    const len = S.FRAME_MIN + Math.floor(random() * (S.FRAME_MAX - S.FRAME_MIN));
    const t0 = performance.now();
    fillPattern(txBufs[k].bytes, sent, len);
    patternMs += performance.now() - t0;
    lengths.push(len);
    sentBytes += len;
    tx.add([{ iova: txBufs[k].iova, length: hdr + len }], [], sent);
  }
  tx.publish();
  kick(TX_QUEUE, tx);
  for (let u = tx.getUsed(); u; u = tx.getUsed());
  // No interrupt pending reads as 0: the driver polls anyway.
  interrupts += Number(taken(calls[RX_QUEUE]) > 0);
  for (let u = rx.getUsed(); u; u = rx.getUsed()) {
    const frame = rxBufs[u.token!].bytes.subarray(hdr, u.length);
    const n = received++;
    const t0 = performance.now();
    if (frame.length !== lengths[n] || !holdsPattern(frame, n)) corrupt++;
    patternMs += performance.now() - t0;
    rx.add([], [{ iova: rxBufs[u.token!].iova, length: rxBufs[u.token!].bytes.length }], u.token);
  }
  rx.publish();
  kick(RX_QUEUE, rx);
}
const seconds = (performance.now() - start - patternMs) / 1000;
console.log(`frames sent ${S.FRAMES}, received ${received}, corrupt ${corrupt}: ${corrupt === 0 && received === S.FRAMES ? 'all byte-identical' : 'MISMATCH'}`);
console.log(`kicks ${kicks}, RX interrupts ${interrupts} (event idx suppresses the rest)`);
console.log(`throughput ${(S.FRAMES / seconds / 1e6).toFixed(2)} Mframes/s, ${((sentBytes / seconds) / 1e6).toFixed(0)} MB/s (driver, device and loopback in one thread; filling and checking the frames not timed)`);

// VIRTIO_NET_F_MRG_RXBUF, negotiated above: a frame longer than one RX buffer arrives over as
// many as it takes, and the first one's header says how many (num_buffers).
console.log(`\n# Mergeable RX buffers: ${S.GSO_FRAMES} frames of ${S.FRAME_MAX}-${S.GSO_FRAME_MAX} bytes over RX buffers of ${hdr + S.FRAME_MAX}\n`);
const gso = pool.alloc(hdr + S.GSO_FRAME_MAX);
// The driver's side: each used RX entry is fed to NetRxFrames, which answers a frame once the
// last of the buffers its header counts has come.
const frames = new NetRxFrames<number>(wanted, S.RING_SIZE);
let gsoCorrupt = 0;
let gsoBuffers = 0;
for (let n = 0; n < S.GSO_FRAMES; n++) {
  const len = S.FRAME_MAX + Math.floor(random() * (S.GSO_FRAME_MAX - S.FRAME_MAX));
  fillPattern(gso.bytes, n, len);
  tx.add([{ iova: gso.iova, length: hdr + len }], [], n);
  tx.publish();
  kick(TX_QUEUE, tx);
  tx.getUsed();
  let frame: ReceivedFrame<number> | undefined;
  while (!frame) {
    const u = rx.getUsed();
    if (!u) break;
    frame = frames.take(u.token!, rxBufs[u.token!].bytes.subarray(0, u.length));
  }
  let at = 0;
  for (const part of frame?.parts ?? []) {
    if (!holdsPattern(part, n, at)) gsoCorrupt++;
    at += part.length;
  }
  if (at !== len) gsoCorrupt++;
  for (const k of frame?.tokens ?? []) rx.add([], [{ iova: rxBufs[k].iova, length: rxBufs[k].bytes.length }], k);
  gsoBuffers += frame?.tokens.length ?? 0;
  rx.publish();
  kick(RX_QUEUE, rx);
}
console.log(`frames ${S.GSO_FRAMES} in ${gsoBuffers} RX buffers (num_buffers said how many), corrupt ${gsoCorrupt}: ${gsoCorrupt === 0 ? 'all byte-identical' : 'MISMATCH'}`);
dev.vhost.setState(VHOST_DEVICE_S_STOPPED);
console.log(`\nrings at base ${dev.vhost.getVringBase(RX_QUEUE)} (RX) and ${dev.vhost.getVringBase(TX_QUEUE)} (TX) after both runs`);
const ringErrors = [taken(errs[RX_QUEUE]), taken(errs[TX_QUEUE])];
console.log(`ring errors signalled: ${ringErrors[RX_QUEUE]} (RX), ${ringErrors[TX_QUEUE]} (TX)`);

console.log('\n# A driver bug: a ring the device refuses\n');
// Written past the driver, as a buggy one would: TX offers head RING_SIZE, one past its table.
dev.vhost.setState(VHOST_DEVICE_S_RUNNING);
const avail = new DataView(rings[TX_QUEUE].avail.bytes.buffer, rings[TX_QUEUE].avail.bytes.byteOffset);
const availIdx = avail.getUint16(AVAIL.idx, true);
avail.setUint16(AVAIL.ring + AVAIL.entry * (availIdx & (S.RING_SIZE - 1)), S.RING_SIZE, true);
avail.setUint16(AVAIL.idx, (availIdx + 1) & INDEX_MASK, true);
dev.kick(TX_QUEUE);
const refused = taken(errs[TX_QUEUE]);
console.log(`TX offered head ${S.RING_SIZE} on a ring of ${S.RING_SIZE}: TX error eventfd signalled ${refused}, RX ${taken(errs[RX_QUEUE])}; TX stopped at base ${dev.vhost.getVringBase(TX_QUEUE)}`);
dev.device.reset();
console.log('VFIO_DEVICE_RESET: the device starts over; a driver sets its rings up again');

console.log(`\n# Block RAM disk: ${S.BLOCK_WRITES} random writes, each read back\n`);
const blockPool = new DmaPool(kernel, dev.container, S.DMA_POOL_SIZE, S.IOVA_BASE + BigInt(S.DMA_POOL_SIZE));
const blockRing = queueMemory(blockPool, S.RING_SIZE);
const blk = new SplitQueueDriver<number>(S.RING_SIZE, blockRing, eventIdx);
const container = kernel.containerOf(dev.container.fd, 'demo');
const blockDevice = new SplitQueueDevice(S.RING_SIZE, ringIovas(blockRing), container.dma, eventIdx);
const disk = new BlockRamDisk(blockDevice, S.BLOCK_CAPACITY_SECTORS, 'uapigen-demo');
const header = blockPool.alloc(virtio_blk_outhdr.size, ALIGN.desc);
const data = blockPool.alloc(S.BLOCK_MAX_SECTORS * VIRTIO_BLK_SECTOR_SIZE);
const status = blockPool.alloc(header.bytes.length);
const roundTrip = (type: number, sector: bigint, bytes: number) => {
  virtio_blk_outhdr.encode({ type, ioprio: 0, sector }, new DataView(header.bytes.buffer, header.bytes.byteOffset), 0);
  const out = type === VIRTIO_BLK_T_OUT;
  blk.add(out ? [{ iova: header.iova, length: header.bytes.length }, { iova: data.iova, length: bytes }] : [{ iova: header.iova, length: header.bytes.length }], out ? [{ iova: status.iova, length: 1 }] : [{ iova: data.iova, length: bytes }, { iova: status.iova, length: 1 }], 0);
  blk.publish();
  disk.run(1);
  blk.getUsed();
  return status.bytes[0];
};
// Each write takes a window of one block of random bytes, made once: random bytes made per
// write, a call per byte, took longer than the requests themselves.
const maxBytes = S.BLOCK_MAX_SECTORS * VIRTIO_BLK_SECTOR_SIZE;
const noise = Uint8Array.from({ length: 2 * maxBytes }, () => Math.floor(random() * 0x100));
let blockErrors = 0;
let requestMs = 0;
let movedBytes = 0;
const timed = (type: number, sector: bigint, bytes: number) => {
  const t0 = performance.now();
  const s = roundTrip(type, sector, bytes);
  requestMs += performance.now() - t0;
  return s;
};
for (let k = 0; k < S.BLOCK_WRITES; k++) {
  const sectors = 1 + Math.floor(random() * S.BLOCK_MAX_SECTORS);
  const sector = BigInt(Math.floor(random() * (Number(S.BLOCK_CAPACITY_SECTORS) - sectors)));
  const bytes = sectors * VIRTIO_BLK_SECTOR_SIZE;
  const from = Math.floor(random() * maxBytes);
  const expect = noise.subarray(from, from + bytes);
  data.bytes.set(expect);
  if (timed(VIRTIO_BLK_T_OUT, sector, bytes) !== VIRTIO_BLK_S_OK) blockErrors++;
  data.bytes.fill(0);
  if (timed(VIRTIO_BLK_T_IN, sector, bytes) !== VIRTIO_BLK_S_OK || Buffer.compare(data.bytes.subarray(0, bytes), expect) !== 0) blockErrors++;
  movedBytes += 2 * bytes;
}
const requestSeconds = requestMs / 1000;
console.log(`writes ${S.BLOCK_WRITES}, read back ${S.BLOCK_WRITES}, errors ${blockErrors}: ${blockErrors === 0 ? 'all byte-identical' : 'MISMATCH'}`);
console.log(
  `${((2 * S.BLOCK_WRITES) / requestSeconds / 1e3).toFixed(0)}k requests/s, ${(movedBytes / requestSeconds / 1e6).toFixed(0)} MB/s ` +
    '(driver and disk in one thread, one request at a time; filling and checking the data not timed)',
);
dev.close();
process.exitCode = corrupt === 0 && received === S.FRAMES && gsoCorrupt === 0 && blockErrors === 0 && ringErrors.every((n) => n === 0) && refused === 1 ? 0 : 1;
