// The runtime driving the simulated vfio-vhost device through the VFIO ABI: both layouts from
// open to RUNNING, the argsz retry, and every rule the device enforces, by the errno it gives.
import { suite } from 'uvu';
import { errnoOf } from '../helpers/errno.js';
import * as assert from 'uvu/assert';
import { EAGAIN, EBADF, EBUSY, EEXIST, EFAULT, EINVAL, ENOBUFS, ENODEV, ENOENT, ENOTTY, EOPNOTSUPP, EPERM } from '../../generated/errno.js';
import {
  VFIO_IRQ_SET, VFIO_IRQ_SET_ACTION_MASK, VFIO_IRQ_SET_ACTION_TRIGGER, VFIO_IRQ_SET_DATA_BOOL, VFIO_IRQ_SET_DATA_EVENTFD, VFIO_IRQ_SET_DATA_NONE,
  VFIO_REGION_INFO_FLAG, VFIO_TYPE1v2_IOMMU, vfio_device_info, vfio_ioctls, vfio_irq_info, vfio_irq_set, vfio_region_info,
} from '../../generated/vfio.js';
import { VFIO_DEVICE_API_VHOST_STRING, VFIO_VHOST_ERR_IRQ_INDEX, VFIO_VHOST_NUM_IRQS, VHOST_DEVICE_S_MAX, VHOST_DEVICE_S_RUNNING, VHOST_DEVICE_S_STOPPED, VHOST_VFIO, VHOST_VFIO_OP_HDR_SIZE, VHOST_VFIO_OP_PAYLOAD_MAX_SIZE, vhost_vfio_op } from '../../generated/vfio_vhost.js';
import { VHOST_SET_OWNER, VHOST_VRING } from '../../generated/vhost.js';
import { VIRTIO_F_VERSION_1 } from '../../generated/virtio_config.js';
import { s32 } from '../../runtime/codegen-v1.js';
import { IoctlError, VhostProtocolError } from '../../runtime/errors.js';
import { takeEventfd } from '../../runtime/eventfd.js';
import { SimKernel } from '../../runtime/sim/kernel.js';
import { DmaFault } from '../../runtime/sim/container.js';
import { DEVICE_NAME, GROUP_ID, PAGE_SIZE, QUEUES, RX_QUEUE, TX_QUEUE } from '../../runtime/sim/parameters.js';
import { GOOD_RINGS, HOSTILE_RINGS, NET_HEADER, UNSENT_FRAME } from '../helpers/hostile-rings.js';
import { HOSTILE_NUM, ringArea, writeCase } from '../helpers/ring-area.js';
import { Container } from '../../runtime/vfio/container.js';
import { Group } from '../../runtime/vfio/group.js';
import { Registers } from '../../runtime/vfio/registers.js';
import { virtio_pci_common_cfg } from '../../generated/virtio_pci.js';
import { describeDevices, describeVfioPciDevices } from '../../runtime/devices.js';
import { refuse } from '../../runtime/sim/uaccess.js';
import { VfioVhostDevice } from '../../runtime/vhost/vfio-vhost-device.js';
import { decodeFeatures, featureBit } from '../../runtime/vhost/features.js';
import { DmaPool } from '../../runtime/dma-pool.js';
import { SplitQueueDriver } from '../../runtime/virtio/driver-queue.js';
import { allocSplitRing, ringIovas, splitSizes } from '../../runtime/virtio/split-layout.js';
import { SplitQueueDevice } from '../../runtime/virtio/device-queue.js';
import { virtio_net_hdr_mrg_rxbuf } from '../../generated/virtio_net.js';
import { u64 } from '../../runtime/codegen-v1.js';

const t = suite('vfio-vhost runtime on the simulated device');
const io = vfio_ioctls;

function open(layout: 'typed' | 'fixed' = 'typed', ringErrors = true) {
  const kernel = new SimKernel({ layout, ringErrors });
  return { kernel, dev: new VfioVhostDevice(kernel, { group: GROUP_ID, name: DEVICE_NAME }) };
}


/** Sets up both rings in DMA-mapped memory, as a driver does before RUNNING; returns them and the pool they came from. */
function setUpRings(kernel: SimKernel, dev: VfioVhostDevice, num = 256) {
  const pool = new DmaPool(kernel, dev.container, 1 << 20, 1n << 32n);
  const rings = Array.from({ length: QUEUES }, () => allocSplitRing(num, (size, align) => pool.alloc(size, align)));
  rings.forEach((r, q) => dev.setUpQueue(q, num, r));
  return { pool, rings };
}

for (const layout of ['typed', 'fixed'] as const) {
  t(`${layout} layout: open to DEVICE_SET_STATE(RUNNING), kicks and interrupts both ways`, () => {
    const { kernel, dev } = open(layout);
    assert.is(dev.api, VFIO_DEVICE_API_VHOST_STRING);
    assert.is(dev.regions.how, layout);
    // In the typed layout the regions sit where the RFC's indexes do not: found by type.
    assert.equal([dev.regions.config.index, dev.regions.notify.index], layout === 'typed' ? [1, 0] : [0, 1]);
    dev.vhost.setOwner();
    const offered = dev.vhost.getFeatures();
    assert.ok(decodeFeatures(offered).names.includes('VIRTIO_F_VERSION_1'));
    const wanted = offered & ~featureBit(VIRTIO_F_VERSION_1 + 1); // everything offered but ACCESS_PLATFORM's neighbour
    dev.vhost.setFeatures(wanted);
    assert.is(kernel.device.features, wanted);
    setUpRings(kernel, dev);
    const calls = [kernel.eventfd(), kernel.eventfd()];
    dev.attachCallEventfds(calls);
    dev.vhost.setState(VHOST_DEVICE_S_RUNNING);
    assert.is(kernel.device.state, VHOST_DEVICE_S_RUNNING);
    dev.vhost.setVringBase(1, 0);
    assert.is(dev.vhost.getVringBase(1), 0);
    const seen: number[] = [];
    kernel.device.kickListeners.push((q) => seen.push(q));
    dev.kick(1);
    dev.kick(0);
    assert.equal(seen, [1, 0]);
    assert.ok(kernel.device.signal(1));
    const buf = new Uint8Array(8);
    assert.is(kernel.read(calls[1], buf), 8);
    assert.is(buf[0], 1);
    assert.is(errnoOf(() => kernel.read(calls[0], buf)), EAGAIN, 'queue 0 was not signalled');
    dev.vhost.setState(VHOST_DEVICE_S_STOPPED);
    dev.close();
  });
}

t('rings resumed at index 65,500 (SET_VRING_BASE, and the drivers\' base): frames go round the loopback as both indexes wrap past 65,535', () => {
  const BASE = 65_500;
  const NUM = 8;
  const FRAMES = 100;
  const { kernel, dev } = open();
  dev.vhost.setOwner();
  dev.vhost.setFeatures(dev.vhost.getFeatures()); // event idx among them
  const pool = new DmaPool(kernel, dev.container, 1 << 20, 1n << 32n);
  const rings = Array.from({ length: QUEUES }, () => allocSplitRing(NUM, (size, align) => pool.alloc(size, align)));
  const drivers = rings.map((r) => new SplitQueueDriver<number>(NUM, r, true, 'shared', BASE));
  rings.forEach((r, q) => dev.setUpQueue(q, NUM, r, BASE));
  dev.attachCallEventfds([kernel.eventfd(), kernel.eventfd()]);
  dev.vhost.setState(VHOST_DEVICE_S_RUNNING);
  const hdr = virtio_net_hdr_mrg_rxbuf.size;
  const rxBufs = Array.from({ length: NUM }, () => pool.alloc(256));
  const tx = pool.alloc(256);
  rxBufs.forEach((b, k) => drivers[RX_QUEUE].add([], [{ iova: b.iova, length: b.bytes.length }], k));
  drivers[RX_QUEUE].publish();
  for (let n = 0; n < FRAMES; n++) {
    const frame = Uint8Array.from({ length: 60 }, (_, i) => (n * 7 + i) & 0xff);
    tx.bytes.fill(0, 0, hdr);
    tx.bytes.set(frame, hdr);
    drivers[TX_QUEUE].add([{ iova: tx.iova, length: hdr + frame.length }], [], n);
    drivers[TX_QUEUE].publish();
    if (drivers[TX_QUEUE].shouldKick()) dev.kick(TX_QUEUE);
    const got = drivers[RX_QUEUE].getUsed();
    assert.ok(got, `frame ${n}: nothing on RX (TX ${kernel.device.datapath?.queues[TX_QUEUE].broken?.message ?? 'not broken'})`);
    assert.equal(rxBufs[got.token!].bytes.slice(hdr, got.length), frame, `frame ${n}`);
    assert.is(drivers[TX_QUEUE].getUsed()?.token, n, `frame ${n}: its TX chain used`);
    drivers[RX_QUEUE].add([], [{ iova: rxBufs[got.token!].iova, length: 256 }], got.token);
    drivers[RX_QUEUE].publish();
    if (drivers[RX_QUEUE].shouldKick()) dev.kick(RX_QUEUE);
  }
  assert.is(dev.vhost.getVringBase(TX_QUEUE), (BASE + FRAMES) & 0xffff, 'the TX index came round past 65,535');
  dev.close();
});

t('notify region rules: a kick is its queue\'s index at the start of its own page', () => {
  const { kernel, dev } = open('typed');
  const kick = (offset: bigint, value: number, bytes = 4) => {
    const b = new Uint8Array(bytes);
    if (bytes >= 4) new DataView(b.buffer).setUint32(0, value, true);
    return errnoOf(() => dev.device.write(dev.regions.notify, offset, b));
  };
  assert.is(kick(dev.notifyOffset(1), 0), EINVAL, 'queue 0 written on the page of queue 1');
  assert.is(kick(dev.notifyOffset(1) + 4n, 1), EINVAL, 'not at the start of the page');
  assert.is(kick(dev.notifyOffset(0), 0, 2), EINVAL, 'not 32 bits');
  assert.is(kick(dev.regions.notify.size, QUEUES), EINVAL, 'a page past the last queue');
  assert.equal(kernel.device.kicks, [0, 0], 'no refused kick was counted');
  dev.kick(0);
  dev.kick(0);
  dev.kick(1);
  assert.equal(kernel.device.kicks, [2, 1]);
});

t('closing a device and its group lets the next user open them again', () => {
  const { kernel, dev } = open();
  dev.close();
  const again = new VfioVhostDevice(kernel, { group: GROUP_ID, name: DEVICE_NAME });
  assert.ok(again.group.status().containerSet);
  again.close();
});

t('a doorbell written through an mmapped notify page reaches the device', () => {
  const { kernel, dev } = open('typed');
  const area = dev.regions.notifyAreas[1];
  const page = dev.device.mmap(dev.regions.notify, area.offset, Number(area.size));
  new DataView(page.buffer, page.byteOffset).setUint32(0, 2, true); // queue 1's doorbell: index + 1 marks a kick
  assert.equal(kernel.device.pollDoorbells(), [1]);
  assert.is(errnoOf(() => dev.device.mmap(dev.regions.config, 0n, PAGE_SIZE)), EINVAL);
});

t('argsz: a minimal first GET_REGION_INFO returns a larger argsz; the second returns the chain', () => {
  const { kernel, dev } = open('typed');
  const first = vfio_region_info.toBytes({ argsz: vfio_region_info.size, flags: VFIO_REGION_INFO_FLAG.none, index: 0, cap_offset: 0, size: 0n, offset: 0n });
  kernel.ioctl(dev.device.fd, io.VFIO_DEVICE_GET_REGION_INFO.request, first);
  const a = vfio_region_info.fromBytes(first);
  assert.ok(a.argsz > vfio_region_info.size, `argsz ${a.argsz}`);
  assert.is(a.cap_offset, 0, 'no chain in a buffer it does not fit');
  const info = dev.device.regionInfo(0);
  assert.is(info.rounds, 2);
  assert.equal(info.caps.map((c) => c.name), ['VFIO_REGION_INFO_CAP_TYPE', 'VFIO_REGION_INFO_CAP_SPARSE_MMAP']);
});

t('errors are typed and name the ioctl', () => {
  const { dev } = open();
  try {
    dev.device.irqInfo(5);
    assert.unreachable();
  } catch (e) {
    assert.ok(e instanceof IoctlError);
    assert.is((e as IoctlError).ioctl, 'VFIO_DEVICE_GET_IRQ_INFO');
    assert.is((e as IoctlError).code, 'EINVAL');
    assert.match((e as Error).message, /^VFIO_DEVICE_GET_IRQ_INFO: EINVAL \(IRQ index 5\)$/);
  }
});

t('argsz checks and bad indexes: EINVAL', () => {
  const { kernel, dev } = open();
  const fd = dev.device.fd;
  const short = (codec: { size: number }, argsz: number) => {
    const b = new Uint8Array(codec.size);
    new DataView(b.buffer).setUint32(0, argsz, true);
    return b;
  };
  assert.is(errnoOf(() => kernel.ioctl(fd, io.VFIO_DEVICE_GET_INFO.request, short(vfio_device_info, 4))), EINVAL);
  assert.is(errnoOf(() => kernel.ioctl(fd, io.VFIO_DEVICE_GET_REGION_INFO.request, short(vfio_region_info, 8))), EINVAL);
  assert.is(errnoOf(() => kernel.ioctl(fd, io.VFIO_DEVICE_GET_IRQ_INFO.request, short(vfio_irq_info, 8))), EINVAL);
  assert.is(errnoOf(() => kernel.ioctl(fd, io.VFIO_DEVICE_GET_REGION_INFO.request, short(vfio_region_info, 4096))), EINVAL, 'argsz beyond the buffer');
  assert.is(errnoOf(() => dev.device.regionInfo(2)), EINVAL);
  assert.is(errnoOf(() => kernel.ioctl(fd, io.VFIO_DEVICE_GET_INFO.request, 5)), EFAULT, 'a number where a buffer goes');
  assert.is(errnoOf(() => kernel.ioctl(fd, io.VFIO_IOMMU_MAP_DMA.request, new Uint8Array(32))), ENOTTY, 'a container ioctl on a device');
});

t('SET_IRQS validation: data type, action, index, range, argsz, fds', () => {
  const { kernel, dev } = open();
  const set = (flags: number, index: number, start: number, count: number, data: number[] = [], argsz?: number) => {
    const bytes = vfio_irq_set.toBytes({ argsz: argsz ?? vfio_irq_set.size + data.length, flags: flags as never, index, start, count, data });
    return errnoOf(() => kernel.ioctl(dev.device.fd, io.VFIO_DEVICE_SET_IRQS.request, bytes));
  };
  const fdBytes = (...fds: number[]) => fds.flatMap((fd) => {
    const b = new Uint8Array(s32.size);
    s32.encode(fd, new DataView(b.buffer), 0);
    return [...b];
  });
  const EVT = VFIO_IRQ_SET.of(VFIO_IRQ_SET_DATA_EVENTFD, VFIO_IRQ_SET_ACTION_TRIGGER);
  const e = kernel.eventfd();
  assert.is(set(EVT, 0, 0, 1, fdBytes(e), vfio_irq_set.size - 1), EINVAL, 'argsz below the header');
  assert.is(set(VFIO_IRQ_SET.of(VFIO_IRQ_SET_DATA_EVENTFD, VFIO_IRQ_SET_DATA_BOOL, VFIO_IRQ_SET_ACTION_TRIGGER), 0, 0, 1, fdBytes(e)), EINVAL, 'two data types');
  assert.is(set(VFIO_IRQ_SET.of(VFIO_IRQ_SET_DATA_EVENTFD, VFIO_IRQ_SET_ACTION_TRIGGER, VFIO_IRQ_SET_ACTION_MASK), 0, 0, 1, fdBytes(e)), EINVAL, 'two actions');
  assert.is(set(VFIO_IRQ_SET_DATA_EVENTFD, 0, 0, 1, fdBytes(e)), EINVAL, 'no action');
  assert.is(set(EVT, VFIO_VHOST_NUM_IRQS, 0, 1, fdBytes(e)), EINVAL, 'index');
  assert.is(set(EVT, 0, 1, QUEUES, fdBytes(...Array(QUEUES).fill(e))), EINVAL, 'start + count past the IRQs');
  assert.is(set(EVT, 0, 1, 0xffffffff, fdBytes(e)), EINVAL, 'a count that would wrap');
  assert.is(set(EVT, 0, 0, 0), EINVAL, 'count 0 with eventfds');
  assert.is(set(EVT, 0, 0, 2, fdBytes(e)), EINVAL, 'fewer fds than count');
  assert.is(set(EVT, 0, 0, 1, fdBytes(dev.device.fd)), EBADF, 'not an eventfd');
  assert.is(set(0x1000 | EVT, 0, 0, 1, fdBytes(e)), EINVAL, 'unknown flag bits');
  // And what is allowed: attach, detach with -1, trigger by DATA_NONE, detach all.
  assert.throws(() => set(EVT, 0, 1, 1, fdBytes(e)), /succeeded/);
  kernel.device.signal(1);
  assert.is(kernel.read(e, new Uint8Array(8)), 8);
  assert.throws(() => set(VFIO_IRQ_SET.of(VFIO_IRQ_SET_DATA_NONE, VFIO_IRQ_SET_ACTION_TRIGGER), 0, 1, 1), /succeeded/);
  assert.is(kernel.read(e, new Uint8Array(8)), 8, 'DATA_NONE with a count triggers');
  assert.throws(() => set(EVT, 0, 1, 1, fdBytes(-1)), /succeeded/);
  assert.not.ok(kernel.device.signal(1), 'fd -1 detached it');
  assert.throws(() => set(VFIO_IRQ_SET.of(VFIO_IRQ_SET_DATA_NONE, VFIO_IRQ_SET_ACTION_TRIGGER), 0, 0, 0), /succeeded/);
});

/**
 * The TX ring in the bytes of `a` (ring-area.ts), an RX ring of its size, both eventfd sets
 * attached and the device RUNNING: what a driver has done before it publishes.
 */
function runOnCase(kernel: SimKernel, dev: VfioVhostDevice, a: ReturnType<typeof ringArea>, rx: ReturnType<typeof allocSplitRing>, fds: { calls: number[]; errs?: number[] }) {
  dev.vhost.setOwner();
  dev.vhost.setFeatures(dev.vhost.getFeatures());
  const rings: Record<number, ReturnType<typeof ringIovas>> = { [TX_QUEUE]: ringIovas(a.rings), [RX_QUEUE]: ringIovas(rx) };
  for (const q of [RX_QUEUE, TX_QUEUE]) {
    dev.vhost.setVringNum(q, HOSTILE_NUM);
    dev.vhost.setVringBase(q, 0);
    dev.vhost.setVringAddr({ index: q, flags: VHOST_VRING.none, desc_user_addr: rings[q].desc, avail_user_addr: rings[q].avail, used_user_addr: rings[q].used, log_guest_addr: 0n });
  }
  dev.attachCallEventfds(fds.calls);
  if (fds.errs) dev.attachErrorEventfds(fds.errs);
  dev.vhost.setState(VHOST_DEVICE_S_RUNNING);
  return kernel.device.datapath!.queues[TX_QUEUE];
}

t('the ERR IRQ: each hostile ring class the device meets stops its queue and signals that queue\'s error eventfd, at each kick; a good ring\'s frame arrives on RX as the ring holds it; a reset starts over', () => {
  const { kernel, dev } = open();
  assert.ok(dev.reportsRingErrors);
  assert.equal([dev.errIrq?.count, dev.errIrq?.flagNames], [QUEUES, ['EVENTFD']]);
  const pool = new DmaPool(kernel, dev.container, 16 * PAGE_SIZE, 1n << 32n);
  const a = ringArea(pool, dev.container, UNSENT_FRAME);
  const rx = allocSplitRing(HOSTILE_NUM, (size, align) => pool.alloc(size, align));
  const rxBuf = pool.alloc(PAGE_SIZE);
  const calls = [kernel.eventfd(), kernel.eventfd()];
  const errs = [kernel.eventfd(), kernel.eventfd()];
  // A device holding its first frame for want of an RX buffer has not popped a second chain, so
  // a fault only a second pop shows is not here: the unit tests find it, with the chain held.
  const hostile = HOSTILE_RINGS.filter((c) => !c.seenWhileHeld);
  for (const c of [...GOOD_RINGS, ...hostile]) {
    const w = writeCase(a, c);
    // A good ring's frame has an RX buffer to go to; a hostile ring's none, so the device pops
    // no second chain while it holds the first (the cases seen only then are left out above).
    const rxDriver = new SplitQueueDriver<number>(HOSTILE_NUM, rx, true); // zeroes the RX ring, before the device is told of it
    if (c.fault === undefined) {
      rxDriver.add([], [{ iova: rxBuf.iova, length: rxBuf.bytes.length }], 0);
      rxDriver.publish();
    }
    const tx = runOnCase(kernel, dev, a, rx, { calls, errs });
    w.publish();
    dev.kick(TX_QUEUE);
    assert.is(tx.broken?.fault, c.fault, `${c.name}: the fault the TX queue stopped with`);
    assert.is(takeEventfd(kernel, errs[TX_QUEUE]), c.fault ? 1n : 0n, `${c.name}: the TX error eventfd`);
    assert.is(takeEventfd(kernel, errs[RX_QUEUE]), 0n, `${c.name}: the RX error eventfd`);
    if (c.fault === undefined) {
      assert.is(tx.base, w.offered, `${c.name}: popped`);
      // Through the loopback: its own virtio-net header, then the frame the TX chain holds behind the driver's.
      const used = rxDriver.getUsed();
      assert.ok(used, `${c.name}: nothing arrived on RX`);
      assert.equal(rxBuf.bytes.slice(NET_HEADER, used.length), c.reads!(a.target).slice(NET_HEADER), `${c.name}: what arrived is what the ring holds`);
      assert.is(takeEventfd(kernel, calls[RX_QUEUE]), 1n, `${c.name}: the RX call`);
    } else {
      dev.kick(RX_QUEUE);
      assert.is(takeEventfd(kernel, errs[TX_QUEUE]), 0n, `${c.name}: a kick of the other queue is no new error`);
      dev.kick(TX_QUEUE);
      assert.is(takeEventfd(kernel, errs[TX_QUEUE]), 1n, `${c.name}: signalled again at the next kick of the stopped queue`);
    }
    assert.is(takeEventfd(kernel, calls[TX_QUEUE]), c.fault ? 0n : 1n, `${c.name}: a call for the TX chain used, none for a ring refused`);
    dev.device.reset();
    assert.is(kernel.device.datapath, undefined, 'VFIO_DEVICE_RESET stops the datapath');
  }
  assert.equal(kernel.device.ringErrors, [0, 2 * hostile.length]);
  dev.close();
});

t('a device without the ERR IRQ: count 0, attaching is refused by name, and a ring it refuses stops its queue unsignalled', () => {
  const { kernel, dev } = open('typed', false);
  assert.is(dev.errIrq?.count, 0);
  assert.not.ok(dev.reportsRingErrors);
  const e = kernel.eventfd();
  assert.throws(() => dev.attachErrorEventfds([e, e]), /does not report ring errors \(its ERR IRQ has count 0\)/);
  assert.is(errnoOf(() => dev.device.setIrqEventfds(VFIO_VHOST_ERR_IRQ_INDEX, 0, [e])), EINVAL, 'SET_IRQS itself refuses the index with no IRQs');
  const pool = new DmaPool(kernel, dev.container, 8 * PAGE_SIZE, 1n << 32n);
  const a = ringArea(pool, dev.container, UNSENT_FRAME);
  const rx = allocSplitRing(HOSTILE_NUM, (size, align) => pool.alloc(size, align));
  const hostile = HOSTILE_RINGS[0];
  const w = writeCase(a, hostile);
  const tx = runOnCase(kernel, dev, a, rx, { calls: [e, e] });
  w.publish();
  dev.kick(TX_QUEUE);
  assert.is(tx.broken?.fault, hostile.fault);
  assert.equal(kernel.device.ringErrors, [0, 1], 'counted, with nowhere to signal it');
  assert.is(takeEventfd(kernel, e), 0n);
  dev.close();
});

t('the ERR IRQ answers SET_IRQS as the VQ IRQ does: DATA_NONE triggers it, -1 detaches it', () => {
  const { kernel, dev } = open();
  const errs = [kernel.eventfd(), kernel.eventfd()];
  const calls = [kernel.eventfd(), kernel.eventfd()];
  dev.attachErrorEventfds(errs);
  dev.attachCallEventfds(calls);
  const trigger = (start: number, count: number) =>
    kernel.ioctl(dev.device.fd, io.VFIO_DEVICE_SET_IRQS.request, vfio_irq_set.toBytes({ argsz: vfio_irq_set.size, flags: VFIO_IRQ_SET.of(VFIO_IRQ_SET_DATA_NONE, VFIO_IRQ_SET_ACTION_TRIGGER), index: VFIO_VHOST_ERR_IRQ_INDEX, start, count, data: [] }));
  trigger(1, 1);
  assert.equal([takeEventfd(kernel, errs[0]), takeEventfd(kernel, errs[1])], [0n, 1n]);
  dev.device.setIrqEventfds(VFIO_VHOST_ERR_IRQ_INDEX, 1, [-1]);
  trigger(0, 2);
  assert.equal([takeEventfd(kernel, errs[0]), takeEventfd(kernel, errs[1])], [1n, 0n], 'fd -1 detached the second');
  assert.not.ok(kernel.device.signal(1, VFIO_VHOST_ERR_IRQ_INDEX));
  assert.ok(kernel.device.signal(1), 'the VQ IRQ of the same queue is its own');
  assert.equal([takeEventfd(kernel, calls[1]), takeEventfd(kernel, errs[1])], [1n, 0n]);
  // An empty eventfd reads as 0n; a descriptor that is not one is still an error.
  assert.is(errnoOf(() => takeEventfd(kernel, dev.device.fd)), EBADF);
  dev.close();
});

t('config region rules: size limit, byte count, offset, replies', () => {
  const { dev } = open();
  const cfg = dev.regions.config;
  const msg = (request: number, size: number, bytes = VHOST_VFIO_OP_HDR_SIZE + size) => {
    const op = vhost_vfio_op.toBytes({ request: BigInt(request), flags: VHOST_VFIO.none, size, payload: {} });
    const out = new Uint8Array(bytes);
    out.set(op.subarray(0, Math.min(bytes, op.length)));
    return out;
  };
  assert.is(errnoOf(() => dev.device.write(cfg, 0n, msg(VHOST_SET_OWNER, VHOST_VFIO_OP_PAYLOAD_MAX_SIZE + 1))), EINVAL, 'payload over the maximum');
  assert.is(errnoOf(() => dev.device.write(cfg, 0n, msg(VHOST_SET_OWNER, 8, VHOST_VFIO_OP_HDR_SIZE + 4))), EINVAL, 'count differs from HDR + size');
  assert.is(errnoOf(() => dev.device.write(cfg, 0n, new Uint8Array(VHOST_VFIO_OP_HDR_SIZE - 1))), EINVAL, 'shorter than a header');
  assert.is(errnoOf(() => dev.device.write(cfg, 8n, msg(VHOST_SET_OWNER, 0))), EINVAL, 'not at offset 0');
  assert.is(dev.device.read(cfg, 0n, new Uint8Array(64)), 0, 'no pending reply reads 0 bytes');
  assert.is(errnoOf(() => dev.device.write(cfg, 0n, msg(0x12345, 0))), ENOTTY, 'unknown request');
  assert.is(errnoOf(() => dev.device.write(cfg, cfg.size, msg(VHOST_SET_OWNER, 0))), EINVAL, 'past the region');
});

t('vhost rules over the config region: owner, features, rings, states', () => {
  const { kernel, dev } = open();
  assert.is(errnoOf(() => dev.vhost.setFeatures(0n)), EPERM, 'before SET_OWNER');
  dev.vhost.setOwner();
  assert.is(errnoOf(() => dev.vhost.setOwner()), EBUSY);
  assert.is(errnoOf(() => dev.vhost.setFeatures(1n << 63n)), EOPNOTSUPP);
  assert.is(errnoOf(() => dev.vhost.setVringNum(0, 100)), EINVAL, 'not a power of two');
  assert.is(errnoOf(() => dev.vhost.setVringNum(0, 65536)), EINVAL, 'over 32768');
  assert.is(errnoOf(() => dev.vhost.setVringBase(0, 65536)), EINVAL, 'a base past the 16-bit index');
  assert.is(errnoOf(() => dev.vhost.setVringNum(QUEUES, 256)), ENOBUFS, 'no such ring');
  assert.is(errnoOf(() => dev.vhost.setVringAddr({ index: 0, flags: VHOST_VRING.none, desc_user_addr: 8n, avail_user_addr: 0n, used_user_addr: 0n, log_guest_addr: 0n })), EINVAL, 'descriptor table not 16-aligned');
  assert.is(errnoOf(() => dev.vhost.setState(VHOST_DEVICE_S_RUNNING)), EINVAL, 'RUNNING before features and rings');
  assert.is(errnoOf(() => dev.vhost.setState(VHOST_DEVICE_S_MAX)), EINVAL, 'no such state');
  dev.vhost.setFeatures(kernel.device.offeredFeatures);
  setUpRings(kernel, dev);
  dev.vhost.setState(VHOST_DEVICE_S_RUNNING);
  assert.is(errnoOf(() => dev.vhost.setVringNum(0, 128)), EBUSY, 'resizing a running ring');
  dev.device.reset();
  assert.is(kernel.device.state, VHOST_DEVICE_S_STOPPED, 'RESET stops the device');
});

t('a reply that answers another request is a protocol error', () => {
  const { kernel, dev } = open();
  dev.vhost.setOwner();
  // Leave a GET_VRING_BASE reply pending, then ask for features: the driver must notice.
  const stale = vhost_vfio_op.toBytes({ request: 1n, flags: VHOST_VFIO.none, size: 8, payload: { u64: 5n } });
  const original = kernel.device.pread.bind(kernel.device);
  kernel.device.pread = (buf) => {
    buf.set(stale.subarray(0, buf.length));
    kernel.device.pread = original;
    return buf.length;
  };
  assert.throws(() => dev.vhost.getFeatures(), (e: unknown) => e instanceof VhostProtocolError && /answers request 1/.test((e as Error).message));
});

t('container and group rules: IOMMU before use, DMA mappings checked', () => {
  const kernel = new SimKernel();
  const c = new Container(kernel);
  assert.is(errnoOf(() => c.setIommu()), EINVAL, 'no group yet');
  const g = new Group(kernel, GROUP_ID);
  assert.is(errnoOf(() => new Group(kernel, GROUP_ID)), EBUSY, 'group opened twice');
  assert.is(errnoOf(() => g.deviceFd(DEVICE_NAME)), EINVAL, 'no container yet');
  g.setContainer(c);
  assert.ok(g.status().containerSet);
  assert.is(errnoOf(() => g.deviceFd(DEVICE_NAME)), EINVAL, 'no IOMMU yet');
  assert.ok(c.checkExtension(VFIO_TYPE1v2_IOMMU));
  assert.not.ok(c.checkExtension(12345));
  c.setIommu();
  assert.is(errnoOf(() => c.setIommu()), EBUSY);
  assert.is(errnoOf(() => g.deviceFd('no-such-device')), ENODEV);
  const mem = kernel.allocDma(PAGE_SIZE * 2);
  assert.is(errnoOf(() => c.mapDma(mem.vaddr + 1n, 0n, BigInt(PAGE_SIZE))), EINVAL, 'unaligned vaddr');
  assert.is(errnoOf(() => c.mapDma(0x1000n, 0n, BigInt(PAGE_SIZE))), EFAULT, 'not process memory');
  assert.is(errnoOf(() => c.mapDma(mem.vaddr, 1n << 48n, BigInt(PAGE_SIZE))), EINVAL, 'outside the IOVA aperture');
  c.mapDma(mem.vaddr, 0x10000n, BigInt(PAGE_SIZE * 2));
  assert.is(errnoOf(() => c.mapDma(mem.vaddr, 0x11000n, BigInt(PAGE_SIZE))), EEXIST, 'overlapping IOVA');
  assert.is(errnoOf(() => c.unmapDma(0x10000n, BigInt(PAGE_SIZE))), EINVAL, 'cutting a mapping in two');
  const container = kernel.containerOf(c.fd, 'test');
  mem.bytes[5] = 42;
  assert.is(container.translate(0x10005n, 1, false)[0], 42, 'DMA sees process memory through the mapping');
  assert.throws(() => container.translate(0x30000n, 4, false), (e: unknown) => e instanceof DmaFault);
  assert.is(c.unmapDma(0x10000n, BigInt(PAGE_SIZE * 2)), BigInt(PAGE_SIZE * 2));
  assert.throws(() => container.translate(0x10000n, 4, false), (e: unknown) => e instanceof DmaFault, 'unmapped again');
  assert.equal(c.iommuInfo().caps.map((x) => x.name), ['VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE']);
  assert.is(errnoOf(() => kernel.read(kernel.eventfd(), new Uint8Array(8))), EAGAIN, 'an empty eventfd would block');
});

t('the simulated IOMMU says where a mapping ends, so a buffer across two that meet is DMA to each', () => {
  const kernel = new SimKernel();
  const c = new Container(kernel);
  new Group(kernel, GROUP_ID).setContainer(c);
  c.setIommu();
  const [a, b] = [kernel.allocDma(PAGE_SIZE), kernel.allocDma(PAGE_SIZE)];
  c.mapDma(a.vaddr, 0x10000n, BigInt(PAGE_SIZE));
  c.mapDma(b.vaddr, 0x11000n, BigInt(PAGE_SIZE), false);
  const dma = kernel.containerOf(c.fd, 'test').dma;
  assert.is(dma.mapped!(0x10ff0, true), 16, 'to the end of the first');
  assert.is(dma.mapped!(0x11000, false), PAGE_SIZE, 'all of the second');
  assert.is(dma.mapped!(0x11000, true), 0, 'the second is read-only');
  assert.is(dma.mapped!(0x12000, false), 0, 'past both');
  // A readable buffer across the two, popped by the device side of a ring mapped elsewhere.
  a.bytes[PAGE_SIZE - 1] = 0xaa;
  b.bytes[0] = 0xbb;
  const rings = kernel.allocDma(PAGE_SIZE);
  c.mapDma(rings.vaddr, 0x20000n, BigInt(PAGE_SIZE));
  const sizes = splitSizes(8);
  const piece = (at: number, size: number) => ({ iova: 0x20000n + BigInt(at), bytes: rings.bytes.subarray(at, at + size) });
  const spans = { desc: piece(0, sizes.desc), avail: piece(1024, sizes.avail), used: piece(2048, sizes.used) };
  const driver = new SplitQueueDriver(8, spans, false);
  const device = new SplitQueueDevice(8, ringIovas(spans), dma, false);
  driver.add([{ iova: 0x10fff, length: 2 }], []);
  driver.publish();
  const chain = device.pop();
  assert.ok(chain, String(device.broken?.message));
  const got = new Uint8Array(2);
  chain.readInto(0, got);
  assert.equal([...got], [0xaa, 0xbb]);
});

t('waitReadable on a simulated eventfd: false on timeout, true when the device signals it', async () => {
  const kernel = new SimKernel();
  const fd = kernel.eventfd();
  assert.is(await kernel.waitReadable(fd, 10), false);
  assert.is((kernel.eventfdOf(fd, 'test') as unknown as { waiters: unknown[] }).waiters.length, 0, 'a wait that timed out leaves no waiter behind');
  const waiting = kernel.waitReadable(fd, 5000);
  setTimeout(() => kernel.eventfdOf(fd, 'test').signal(), 10);
  assert.is(await waiting, true);
  assert.is(await kernel.waitReadable(fd, 0), true, 'still readable until read');
  assert.is(errnoOf(() => kernel.waitReadable(kernel.open('/dev/vfio/vfio'), 0)), EBADF);
});

t('the DMA pool hands out aligned pieces and refuses a size or alignment it cannot honour', () => {
  const { kernel, dev } = open();
  const pool = new DmaPool(kernel, dev.container, 2 * PAGE_SIZE, 1n << 32n);
  const a = pool.alloc(3);
  const b = pool.alloc(100, 64);
  assert.is(b.iova - a.iova, 64n, 'the next multiple of 64 past 3 bytes');
  assert.is(b.vaddr - a.vaddr, 64n, 'the same offset in the process');
  assert.is(b.bytes.length, 100);
  for (const size of [NaN, 1.5, -1]) assert.throws(() => pool.alloc(size), new RegExp(`size ${size} is not a whole number`));
  for (const align of [0, 3, 0.5, NaN]) assert.throws(() => pool.alloc(8, align), new RegExp(`alignment ${align} is not a power of two`));
  assert.throws(() => pool.alloc(2 * PAGE_SIZE), /DMA pool: 8192 bytes do not fit \(8028 left\)/);
  dev.close();
});

t('a kick for more frames than the budget moves them all, a budget a run, interrupting after each run', () => {
  const { kernel, dev } = open();
  dev.vhost.setOwner();
  dev.vhost.setFeatures(featureBit(VIRTIO_F_VERSION_1));
  const num = 16;
  const { pool, rings } = setUpRings(kernel, dev, num);
  const calls = [kernel.eventfd(), kernel.eventfd()];
  dev.attachCallEventfds(calls);
  dev.vhost.setState(VHOST_DEVICE_S_RUNNING);
  const [rx, tx] = rings.map((r) => new SplitQueueDriver<number>(num, r, false));
  const frame = 64;
  const hdr = virtio_net_hdr_mrg_rxbuf.size;
  for (let k = 0; k < num; k++) {
    const b = pool.alloc(hdr + frame);
    rx.add([], [{ iova: b.iova, length: b.bytes.length }], k);
  }
  rx.publish();
  const txBuf = pool.alloc(hdr + frame);
  for (let k = 0; k < num; k++) tx.add([{ iova: txBuf.iova, length: txBuf.bytes.length }], [], k);
  tx.publish();
  assert.throws(() => (kernel.device.budget = 0), /budget 0: a whole number of frames/);
  assert.throws(() => (kernel.device.budget = 2.5), /budget 2.5/);
  kernel.device.budget = 4;
  dev.kick(1);
  let received = 0;
  for (let u = rx.getUsed(); u; u = rx.getUsed()) {
    assert.is(u.length, hdr + frame);
    received++;
  }
  assert.is(received, num, 'one kick: every frame arrived, not only the first budget of them');
  // Interrupts are counted by the eventfd: one after each run of 4.
  const count = new Uint8Array(u64.size);
  assert.is(kernel.read(calls[0], count), u64.size);
  assert.is(new DataView(count.buffer).getBigUint64(0, true), BigInt(num / 4));
  dev.vhost.setState(VHOST_DEVICE_S_STOPPED);
  dev.close();
});

t('registers: each access is one load or store of its width, aligned and inside the mapping', () => {
  const mapping = new Uint8Array(new ArrayBuffer(64), 16, 32);
  const regs = new Registers(mapping);
  regs.write32(4, 0x11223344);
  regs.write64(8, 0x0102030405060708n);
  assert.equal([...mapping.subarray(4, 8)], [0x44, 0x33, 0x22, 0x11]);
  assert.is(regs.read32(4), 0x11223344);
  assert.is(regs.read64(8), 0x0102030405060708n);
  assert.throws(() => regs.read32(2), /4 bytes at offset 0x2/);
  assert.throws(() => regs.read64(32), /8 bytes at offset 0x20 of a 32-byte mapping/);
  // Fields of a generated record, at the record's offset and width: virtio's common configuration.
  const block = new Uint8Array(virtio_pci_common_cfg.size + 8);
  const cfg = new Registers(block);
  cfg.writeField(8, virtio_pci_common_cfg, 'device_status', 0x0f);
  cfg.writeField(8, virtio_pci_common_cfg, 'queue_select', 0x0102);
  cfg.writeField(8, virtio_pci_common_cfg, 'queue_desc_hi', 0x01020304);
  assert.is(block[8 + virtio_pci_common_cfg.offsetOf('device_status')], 0x0f);
  assert.equal([...block.subarray(8 + virtio_pci_common_cfg.offsetOf('queue_select'), 8 + virtio_pci_common_cfg.offsetOf('queue_select') + 2)], [0x02, 0x01]);
  assert.is(cfg.readField(8, virtio_pci_common_cfg, 'queue_desc_hi'), 0x01020304);
  assert.is(cfg.readField(8, virtio_pci_common_cfg, 'config_generation'), 0, 'the neighbouring byte untouched');
});

t('the device listing: the simulator through describeDevices, any vfio-pci function through the same describeVfio', () => {
  const sim = describeDevices(new SimKernel());
  assert.match(sim, `${DEVICE_NAME} (IOMMU group ${GROUP_ID}): vfio-vhost device, API "vfio-vhost"`);
  assert.match(sim, /\n {2}region 1 \(config\): size 0x1000000 offset 0x10000000000 flags READ WRITE CAPS \(argsz retried: 2 calls\)\n {4}capability VFIO_REGION_INFO_CAP_TYPE v1 @32 \{ type=4, subtype=1 \}/);
  // A kernel whose sysfs shows the same function bound to vfio-pci.
  const kernel = new SimKernel();
  const sysfs: Record<string, string[]> = {
    '/sys/bus/pci/drivers/vfio-pci': ['bind', 'new_id', DEVICE_NAME, 'unbind'],
    '/sys/bus/pci/devices': [DEVICE_NAME],
    '/sys/kernel/iommu_groups': ['3', String(GROUP_ID)],
    '/sys/kernel/iommu_groups/3/devices': ['0000:00:01.0'],
    [`/sys/kernel/iommu_groups/${GROUP_ID}/devices`]: [DEVICE_NAME],
  };
  Object.assign(kernel, { listDirectory: (path: string) => sysfs[path] ?? refuse('opendir', ENOENT, path) });
  const listed = describeVfioPciDevices(kernel);
  assert.ok(listed.startsWith(`${DEVICE_NAME} (IOMMU group ${GROUP_ID}): vfio-pci device\n`), listed);
  const body = (text: string) => text.split('\n').filter((l) => /^ {2}(flags|region|irq)|^ {4}capability/.test(l));
  // Without the vhost roles, and with linux/vfio.h's own flag names: bit 6 is FSL_MC there, VHOST only in the RFC.
  assert.equal(body(listed), body(sim).map((l) => l.replace(/ \((config|notify|calls|ring errors)\):/, ':').replace(/^( {2}flags: .*) VHOST$/, '$1')));
  assert.is(describeVfioPciDevices(new SimKernel()), 'vfio-pci is not loaded: no /sys/bus/pci/drivers/vfio-pci (modprobe vfio-pci)\n');
});

t.run();
