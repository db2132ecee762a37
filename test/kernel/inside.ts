// Runs inside the QEMU guest (test/kernel/harness.sh): the unchanged runtime against the real
// kernel's VFIO (QEMU's edu device bound to vfio-pci, behind an emulated Intel IOMMU),
// vhost-net (with a tap), two virtio-net-pci functions and a virtio-blk-pci one driven from
// user space over VFIO; and the hostile rings of test/helpers/hostile-rings.ts given to QEMU's
// virtio-net and the kernel's vhost-net beside SplitQueueDevice. Prints `KERNEL-TEST ok|not ok <name>: <detail>` for each check,
// `KERNEL-TEST info ...` for what the harness shows but does not judge, and a final
// `KERNEL-TEST done N passed, M failed`.
import { execFileSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { existsSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { EINVAL } from '../../generated/errno.js';
import { ETH_ALEN, ETH_P_802_EX1, ethhdr } from '../../generated/inet.js';
import {
  VFIO_DEVICE_FLAGS, VFIO_PCI_BAR0_REGION_INDEX, VFIO_PCI_MSI_IRQ_INDEX, VFIO_PCI_MSIX_IRQ_INDEX, VFIO_REGION_INFO_FLAG,
  VFIO_REGION_INFO_FLAG_MMAP, VFIO_TYPE1v2_IOMMU,
} from '../../generated/vfio.js';
import { VHOST_DEVICE_S_RUNNING, VHOST_DEVICE_S_STOPPED, VFIO_VHOST_NUM_REGIONS, VFIO_VHOST_VQ_IRQ_INDEX } from '../../generated/vfio_vhost.js';
import { VHOST_NET_F_VIRTIO_NET_HDR, VHOST_VRING } from '../../generated/vhost.js';
import { VIRTIO_F_ACCESS_PLATFORM, VIRTIO_F_VERSION_1 } from '../../generated/virtio_config.js';
import { VIRTIO_RING_F_EVENT_IDX, VIRTIO_RING_F_INDIRECT_DESC } from '../../generated/virtio_ring.js';
import { VIRTIO_NET_F_MRG_RXBUF, virtio_net_config, virtio_net_hdr_mrg_rxbuf } from '../../generated/virtio_net.js';
import { VIRTIO_MSI_NO_VECTOR } from '../../generated/virtio_pci.js';
import { u32, u64 } from '../../runtime/codegen-v1.js';
import { DmaPool } from '../../runtime/dma-pool.js';
import { takeEventfd } from '../../runtime/eventfd.js';
import { SyscallError } from '../../runtime/errors.js';
import { LinuxBackend } from '../../runtime/linux/backend.js';
import { openTap } from '../../runtime/linux/tap.js';
import { SimKernel } from '../../runtime/sim/kernel.js';
import { DEVICE_NAME, GROUP_ID } from '../../runtime/sim/parameters.js';
import { Container } from '../../runtime/vfio/container.js';
import { Device, RegionInfo } from '../../runtime/vfio/device.js';
import { Group } from '../../runtime/vfio/group.js';
import { Registers } from '../../runtime/vfio/registers.js';
import { decodeFeatures, featureBit } from '../../runtime/vhost/features.js';
import { VhostKernelTransport } from '../../runtime/vhost/kernel-transport.js';
import type { VhostTransport } from '../../runtime/vhost/transport.js';
import { VfioVhostDevice } from '../../runtime/vhost/vfio-vhost-device.js';
import { SplitQueueDriver } from '../../runtime/virtio/driver-queue.js';
import { VirtioPciDevice } from '../../runtime/virtio/pci-transport.js';
import { allocSplitRing, INDEX_MASK, splitRingBytes } from '../../runtime/virtio/split-layout.js';
import { check, expect, finish, hex, sleep, WAIT_MS } from './checks.js';
import { EDU } from './edu.js';
import { compareHostile, sameBytes, VERDICT_MS, verdictOf } from './ring-verdicts.js';
import { describeRounds, eventIdxRounds } from './event-idx-rounds.js';
import { HOSTILE_NUM, PAGE, ringArea, writeCase } from '../helpers/ring-area.js';
import { goodFrame, NET_HEADER, UNSENT_FRAME } from '../helpers/hostile-rings.js';
import { buildUdpFrame, ipv4, mac, parseUdpFrame } from '../helpers/frames.js';
import { addressTap, droppingTxQueue, openVhostTap, poisonUsedLengths, RX, TX } from './vhost-tap.js';
import { frameCollector, loopbackDiffers, mergeableRx, type Delivered } from './mergeable-rx.js';
import { interruptsOffRounds, interruptsOffVhost } from './interrupts-off.js';
import { VIRTIO_BLK_MODERN_DEVICE, VIRTIO_NET_MODERN_DEVICE, VIRTIO_PCI_VENDOR } from './virtio-pci-ids.js';
import { DmaArena } from '../helpers/rings.js';
import { BlockRamDisk } from '../../runtime/virtio/block.js';
import { VIRTIO_BLK_SECTOR_SIZE } from '../../runtime/policy.js';
import {
  VIRTIO_BLK_ID_BYTES, VIRTIO_BLK_S_IOERR, VIRTIO_BLK_S_OK, VIRTIO_BLK_S_UNSUPP, VIRTIO_BLK_T_DISCARD, VIRTIO_BLK_T_FLUSH, VIRTIO_BLK_T_GET_ID, VIRTIO_BLK_T_IN,
  VIRTIO_BLK_T_OUT, virtio_blk_config, virtio_blk_outhdr,
} from '../../generated/virtio_blk.js';

const linux = new LinuxBackend();
/** Adds 1 to an eventfd's counter: a kick, as a driver's doorbell write is one. */
const EVENTFD_ONE = new Uint8Array(u64.size);
u64.encode(1n, new DataView(EVENTFD_ONE.buffer), 0);
const signal = (eventfd: number) => linux.write(eventfd, EVENTFD_ONE);

/** How the kernel answered a call: the errno name it was refused with, or 'accepted'. */
function outcomeOf(f: () => unknown): string {
  try {
    f();
    return 'accepted';
  } catch (e) {
    if (e instanceof SyscallError) return e.code;
    throw e;
  }
}

/** The answer, or undefined when the kernel refuses the call with EINVAL. */
function unlessEinval<T>(f: () => T): T | undefined {
  try {
    return f();
  } catch (e) {
    if (e instanceof SyscallError && e.errno === EINVAL) return undefined;
    throw e;
  }
}

interface Edu {
  container: Container;
  device: Device;
  regions: (RegionInfo | undefined)[];
  bar0: RegionInfo;
  numIrqs: number;
  regs?: Registers;
}
let edu: Edu | undefined;
const needEdu = () => {
  if (!edu) throw new Error('the edu device was not opened');
  return edu;
};
const needRegs = () => {
  const e = needEdu();
  if (!e.regs) throw new Error('BAR0 was not mapped');
  return e.regs;
};

await check('vhost-net: SET_OWNER and GET_FEATURES through the vhost-kernel transport', () => {
  const t = new VhostKernelTransport(linux);
  t.setOwner();
  const features = decodeFeatures(t.getFeatures());
  t.close();
  return features.names.join(' ');
});

await check('vfio: container API version and the Type1 v2 extension', () => {
  const c = new Container(linux);
  const type1v2 = c.checkExtension(VFIO_TYPE1v2_IOMMU);
  c.close();
  expect('Type1 v2', type1v2, 'not offered');
  return 'VFIO_GET_API_VERSION matches, TYPE1v2 offered';
});

const pci = '/sys/bus/pci/devices';
const attr = (d: string, a: string) => parseInt(readFileSync(`${pci}/${d}/${a}`, 'utf8'), 16);
const eduAddr = readdirSync(pci).find((d) => attr(d, 'vendor') === EDU.vendor && attr(d, 'device') === EDU.device);
if (eduAddr) writeFileSync('/sys/bus/pci/drivers/vfio-pci/new_id', `${EDU.vendor.toString(16)} ${EDU.device.toString(16)}`);

await check('uapigen devices --kernel lists edu laid out line for line as the simulated device is', () => {
  if (!eduAddr) throw new Error('no edu device on the PCI bus');
  const kernel = execFileSync(process.execPath, ['dist/generator/cli.js', 'devices', '--kernel'], { encoding: 'utf8' });
  const simulated = execFileSync(process.execPath, ['dist/generator/cli.js', 'devices'], { encoding: 'utf8' });
  for (const line of kernel.trimEnd().split('\n')) console.log(`KERNEL-TEST info ${line}`);
  // The shared grammar: a title, then flags, regions with their capabilities, IRQ indexes.
  const shapes = [/^\S+ \(IOMMU group \d+\): vfio-(pci|vhost) device/, /^  flags: [A-Z_ ]+$/, /^  region \d+( \(\w+\))?: (size 0x[0-9a-f]+ offset 0x[0-9a-f]+ flags [A-Z_ -]+( \(argsz retried: \d calls\))?|refused \(E[A-Z]+\))$/, /^    capability /, /^  irq \d+( \([a-z ]+\))?: (count \d+ flags [A-Z_ -]+|refused \(E[A-Z]+\))$/, /^  vhost features: /];
  const odd = (text: string) => text.trimEnd().split('\n').filter((l) => !shapes.some((r) => r.test(l)));
  expect('kernel listing', odd(kernel).length === 0 && kernel.startsWith(`${eduAddr} (IOMMU group`), `lines outside the listing's grammar: ${odd(kernel).join(' | ') || kernel.split('\n')[0]}`);
  expect('simulated listing', odd(simulated).length === 0, `lines outside the listing's grammar: ${odd(simulated).join(' | ')}`);
  const regions = (text: string) => text.split('\n').filter((l) => /^  region /.test(l)).length;
  return `edu: ${regions(kernel)} regions, ${kernel.split('\n').filter((l) => /^  irq /.test(l)).length} IRQ indexes; the simulated device: ${regions(simulated)} regions; both in the same form`;
});

await check('vfio on edu: group and container, GET_INFO, every region with its capabilities, every IRQ index, BAR0 read by pread', () => {
  const addr = eduAddr;
  if (!addr) throw new Error('no edu device on the PCI bus');
  const groupId = Number(basename(readlinkSync(`${pci}/${addr}/iommu_group`)));
  const container = new Container(linux);
  const group = new Group(linux, groupId);
  expect('group', group.status().viable, `${groupId} is not viable`);
  group.setContainer(container);
  container.setIommu(VFIO_TYPE1v2_IOMMU);
  const device = new Device(linux, group.deviceFd(addr), addr);
  const info = device.info();
  const flags = VFIO_DEVICE_FLAGS.decode(info.flags).names;
  expect('GET_INFO flags', flags.includes('PCI'), flags.join(' '));
  // vfio-pci refuses the VGA region of a device without VGA, and the ERR IRQ of one that is not
  // PCI Express (edu is conventional PCI), with EINVAL: absent, not an error.
  const regions = Array.from({ length: info.numRegions }, (_, i) => unlessEinval(() => device.regionInfo(i)));
  const bar0 = regions[VFIO_PCI_BAR0_REGION_INDEX];
  if (!bar0) throw new Error('no BAR0');
  expect('BAR0', VFIO_REGION_INFO_FLAG.has(bar0.flags, VFIO_REGION_INFO_FLAG_MMAP), 'is not mappable');
  const irqs = Array.from({ length: info.numIrqs }, (_, i) => unlessEinval(() => device.irqInfo(i)));
  const viaRead = new Uint8Array(u32.size);
  device.read(bar0, BigInt(EDU.ID), viaRead);
  const id = u32.decode(new DataView(viaRead.buffer), 0);
  expect('BAR0 identification register (pread)', id === EDU.idValue, `${hex(id)}, expected ${hex(EDU.idValue)}`);
  edu = { container, device, regions, bar0, numIrqs: info.numIrqs };
  const iommu = container.iommuInfo();
  const absent = regions.flatMap((r, i) => (r ? [] : [i]));
  return `${addr} group ${groupId}: flags ${flags.join(' ')}; ${info.numRegions} regions (refused: ${absent.join(', ') || 'none'}); ${irqs.length} IRQ indexes (refused: ${irqs.flatMap((r, i) => (r ? [] : [i])).join(', ') || 'none'}), MSI count ${irqs[VFIO_PCI_MSI_IRQ_INDEX]?.count}; BAR0 ${bar0.size} bytes [${bar0.flagNames.join(' ')}] id ${hex(id)} by pread; IOMMU caps ${iommu.caps.map((c) => c.name).join(' ')}`;
});

await check('vfio on edu: registers through an mmap of BAR0 (identification, liveness)', () => {
  const e = needEdu();
  e.regs = e.device.registers(e.bar0);
  const id = e.regs.read32(EDU.ID);
  expect('identification register', id === EDU.idValue, `${hex(id)}, expected ${hex(EDU.idValue)}`);
  const probe = 0x5a5a1234;
  e.regs.write32(EDU.LIVENESS, probe);
  const back = e.regs.read32(EDU.LIVENESS);
  expect('liveness register', back === ~probe >>> 0, `wrote ${hex(probe)}, read ${hex(back)}, expected its inverse`);
  return `id ${hex(id)}; liveness ${hex(probe)} -> ${hex(back)}`;
});

/** Waits until edu's DMA engine clears its start bit, bounded. */
async function dmaDone(regs: Registers): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (regs.read64(EDU.DMA_CMD) & BigInt(EDU.DMA_START)) {
    if (Date.now() > deadline) throw new Error(`edu DMA still running after ${WAIT_MS} ms`);
    await sleep(10);
  }
}

await check('vfio on edu: DMA both ways through buffers mapped with VFIO_IOMMU_MAP_DMA, byte for byte', async () => {
  const e = needEdu();
  const regs = needRegs();
  e.device.enablePciBusMaster();
  const size = EDU.DMA_MAX;
  const page = EDU.BUFFER_SIZE;
  const iovaBase = 1n << BigInt(EDU.DMA_ADDRESS_BITS - 4); // well inside edu's 28-bit DMA mask
  const pool = new DmaPool(linux, e.container, 2 * page, iovaBase);
  const src = pool.alloc(page, page);
  const dst = pool.alloc(page, page);
  for (let i = 0; i < size; i++) src.bytes[i] = (i * 7 + 3) & 0xff;
  dst.bytes.fill(0);
  regs.write64(EDU.DMA_SRC, src.iova);
  regs.write64(EDU.DMA_DST, EDU.BUFFER);
  regs.write64(EDU.DMA_COUNT, BigInt(size));
  regs.write64(EDU.DMA_CMD, BigInt(EDU.DMA_START));
  await dmaDone(regs);
  regs.write64(EDU.DMA_SRC, EDU.BUFFER);
  regs.write64(EDU.DMA_DST, dst.iova);
  regs.write64(EDU.DMA_COUNT, BigInt(size));
  regs.write64(EDU.DMA_CMD, BigInt(EDU.DMA_START | EDU.DMA_TO_RAM));
  await dmaDone(regs);
  const wrong = dst.bytes.subarray(0, size).findIndex((b, i) => b !== src.bytes[i]);
  expect('DMA round trip', wrong < 0, `byte ${wrong} is ${dst.bytes[wrong]}, sent ${src.bytes[wrong]}`);
  expect('DMA extent', dst.bytes.subarray(size).every((b) => b === 0), 'bytes past the transfer were written');
  const unmapped = e.container.unmapDma(iovaBase, BigInt(2 * page));
  expect('UNMAP_DMA', unmapped === BigInt(2 * page), `unmapped ${unmapped} bytes`);
  return `${size} bytes RAM (iova ${hex(src.iova)}) -> edu -> RAM (iova ${hex(dst.iova)}), identical; UNMAP_DMA freed ${unmapped} bytes`;
});

await check('vfio on edu: an MSI delivered to an eventfd through VFIO_DEVICE_SET_IRQS', async () => {
  const e = needEdu();
  const regs = needRegs();
  const fd = linux.eventfd();
  e.device.setIrqEventfds(VFIO_PCI_MSI_IRQ_INDEX, 0, [fd]);
  try {
    const before = await linux.waitReadable(fd, 0);
    expect('eventfd before the interrupt', !before, 'already signalled');
    const raised = 0x1;
    regs.write32(EDU.IRQ_RAISE, raised);
    const signalled = await linux.waitReadable(fd, WAIT_MS);
    expect('eventfd', signalled, `not signalled within ${WAIT_MS} ms`);
    const counter = new Uint8Array(u64.size);
    linux.read(fd, counter);
    const count = u64.decode(new DataView(counter.buffer), 0);
    const status = regs.read32(EDU.IRQ_STATUS);
    expect('interrupt status', (status & raised) !== 0, hex(status));
    regs.write32(EDU.IRQ_ACK, status);
    return `edu raised ${hex(raised)}; the eventfd counted ${count}; status ${hex(status)} acknowledged`;
  } finally {
    e.device.disableIrqs(VFIO_PCI_MSI_IRQ_INDEX);
    linux.close(fd);
  }
});

await check('bad input reaches the kernel and comes back typed, with the errno the simulator also gives', () => {
  const e = needEdu();
  const sim = new SimKernel();
  const d = new VfioVhostDevice(sim, { group: GROUP_ID, name: DEVICE_NAME });
  const kfd = linux.eventfd();
  const page = 4096n;
  const pool = new DmaPool(linux, e.container, Number(page), page << 8n);
  const simPool = new DmaPool(sim, d.container, Number(page), page << 8n);
  // An address no process maps: below the kernel's mmap_min_addr.
  const nowhere = page;
  const cases: [string, string, string, string][] = [
    ['GET_REGION_INFO one past the last region', outcomeOf(() => e.device.regionInfo(e.regions.length)), outcomeOf(() => d.device.regionInfo(VFIO_VHOST_NUM_REGIONS)), 'EINVAL'],
    ['GET_IRQ_INFO one past the last IRQ index', outcomeOf(() => e.device.irqInfo(e.numIrqs)), outcomeOf(() => d.device.irqInfo(d.info.numIrqs)), 'EINVAL'],
    ['SET_IRQS for an IRQ beyond the index count', outcomeOf(() => e.device.setIrqEventfds(VFIO_PCI_MSI_IRQ_INDEX, 1, [kfd])), outcomeOf(() => d.device.setIrqEventfds(VFIO_VHOST_VQ_IRQ_INDEX, d.vqIrq.count, [sim.eventfd()])), 'EINVAL'],
    ['MAP_DMA of process memory that is not mapped', outcomeOf(() => e.container.mapDma(nowhere, 0n, page)), outcomeOf(() => d.container.mapDma(nowhere, 0n, page)), 'EFAULT'],
    ['MAP_DMA over an IOVA already mapped', outcomeOf(() => e.container.mapDma(pool.alloc(0).vaddr, pool.iovaBase, page)), outcomeOf(() => d.container.mapDma(simPool.alloc(0).vaddr, simPool.iovaBase, page)), 'EEXIST'],
    ['MAP_DMA of a size that is not whole pages', outcomeOf(() => e.container.mapDma(pool.alloc(0).vaddr, 0n, page - 1n)), outcomeOf(() => d.container.mapDma(simPool.alloc(0).vaddr, 0n, page - 1n)), 'EINVAL'],
  ];
  linux.close(kfd);
  e.container.unmapDma(pool.iovaBase, page);
  d.close();
  const wrong = cases.filter(([, kernel, simulated, want]) => kernel !== want || simulated !== want);
  expect('errnos', wrong.length === 0, wrong.map(([what, kernel, simulated, want]) => `${what}: kernel ${kernel}, simulator ${simulated}, expected ${want}`).join('; '));
  return cases.map(([what, kernel]) => `${what}: ${kernel}`).join('; ');
});

await check('vhost requests: the kernel\'s vhost-net and the simulated vfio-vhost device refuse the same bad requests with the same errno', () => {
  const kernel = new VhostKernelTransport(linux);
  const simDevice = new VfioVhostDevice(new SimKernel(), { group: GROUP_ID, name: DEVICE_NAME });
  const sim = simDevice.vhost;
  try {
    const rows: [string, (t: VhostTransport) => unknown, string][] = [
      ['SET_VRING_NUM before SET_OWNER', (t) => t.setVringNum(0, 256), 'EPERM'],
      ['SET_OWNER', (t) => t.setOwner(), 'accepted'],
      ['SET_OWNER again', (t) => t.setOwner(), 'EBUSY'],
      ['SET_VRING_NUM of a ring past the last', (t) => t.setVringNum(2, 256), 'ENOBUFS'],
      ['SET_VRING_NUM of 3 entries', (t) => t.setVringNum(0, 3), 'EINVAL'],
      ['SET_VRING_BASE past the 16-bit index', (t) => t.setVringBase(0, 0x10000), 'EINVAL'],
    ];
    // A feature bit neither side offers.
    const offered = kernel.getFeatures() | sim.getFeatures();
    const bit = Array.from({ length: 64 }, (_, b) => b).find((b) => !(offered & featureBit(b)))!;
    rows.push([`SET_FEATURES with bit ${bit}, offered by neither`, (t) => t.setFeatures(featureBit(bit)), 'EOPNOTSUPP']);
    const results = rows.map(([what, call, want]) => ({ what, want, kernel: outcomeOf(() => call(kernel)), simulated: outcomeOf(() => call(sim)) }));
    const wrong = results.filter((r) => r.kernel !== r.want || r.simulated !== r.want);
    expect('errnos', wrong.length === 0, wrong.map((r) => `${r.what}: kernel ${r.kernel}, simulator ${r.simulated}, expected ${r.want}`).join('; '));
    return results.map((r) => `${r.what}: ${r.kernel}`).join('; ');
  } finally {
    kernel.close();
    simDevice.close();
  }
});

const pageOf = (iova: bigint) => iova / BigInt(PAGE);

/** Where the wrap-around check resumes vhost-net's rings: 100 entries before the 16-bit indexes wrap. */
const WRAP_BASE = 65_436;

/**
 * Datagrams both ways through vhost-net: the kernel's socket to the RX virtqueue, and the TX
 * virtqueue to the socket, 200 each, payloads compared. `base` is the index both rings start at
 * (VHOST_SET_VRING_BASE, and the driver's own); `features` adds to VERSION_1 and the vnet header.
 */
async function datagramsThroughVhost(options: { base: number; features: bigint; subnet: string }): Promise<string> {
  const hdr = virtio_net_hdr_mrg_rxbuf.size; // VERSION_1: the 12-byte header, which vhost adds and strips
  const bufSize = hdr + 2048;
  const num = 256;
  const features = featureBit(VIRTIO_F_VERSION_1) | featureBit(VHOST_NET_F_VIRTIO_NET_HDR) | options.features;
  const v = openVhostTap(linux, { features, num, bufSize, subnet: options.subnet, base: options.base, signal });
  const { tap, drivers, rxBufs, txBufs, calls, kick, tapMac, ourMac, kernelIp, ourIp } = v;
  const counter = new Uint8Array(u64.size);

  const socket = createSocket('udp4');
  await new Promise<void>((resolve, reject) => socket.once('error', reject).bind(0, kernelIp, () => resolve()));
  const kernelPort = socket.address().port;
  const ourPort = 4789;
  const frames = 200;
  const payload = (n: number) => Uint8Array.from({ length: 1 + ((n * 131) % 1400) }, (_, i) => (n * 31 + i) & 0xff);
  try {
    // Kernel -> tap -> vhost -> RX virtqueue.
    for (let n = 0; n < frames; n++) socket.send(payload(n), ourPort, ourIp);
    let rxMatched = 0;
    let rxOther = 0;
    let rxSignals = 0;
    const deadline = Date.now() + WAIT_MS;
    while (rxMatched < frames && Date.now() < deadline) {
      // A driver looks before it sleeps: under event idx, an entry vhost used while the last
      // collect moved used_event on brought no signal, and setInterrupts answers whether one waits.
      if (!drivers[RX].setInterrupts(true)) {
        if (!(await linux.waitReadable(calls[RX], deadline - Date.now()))) break;
        linux.read(calls[RX], counter);
        rxSignals++;
      }
      for (let u = drivers[RX].getUsed(); u; u = drivers[RX].getUsed()) {
        const frame = parseUdpFrame(rxBufs[u.token!].bytes.subarray(hdr, u.length));
        if (frame && frame.dport === ourPort && frame.dst === ipv4(ourIp) && frame.dstMac.join() === mac(ourMac).join()) {
          const want = payload(rxMatched);
          expect(`RX frame ${rxMatched}`, frame.payload.length === want.length && frame.payload.every((b, i) => b === want[i]), `${frame.payload.length} bytes differ from the ${want.length} sent`);
          rxMatched++;
        } else rxOther++;
        drivers[RX].add([], [{ iova: rxBufs[u.token!].iova, length: bufSize }], u.token);
      }
      drivers[RX].publish();
      kick(RX);
    }
    expect('RX', rxMatched === frames, `${rxMatched} of ${frames} datagrams arrived on the RX virtqueue (${rxOther} other frames)`);

    // TX virtqueue -> vhost -> tap -> kernel -> the UDP socket.
    const received: Uint8Array[] = [];
    let txUsed = 0;
    socket.on('message', (m) => received.push(new Uint8Array(m)));
    // In batches, each awaited at the socket: the kernel would drop datagrams a busy socket
    // has no room for (its receive buffer is a few hundred KiB), which is not what is tested.
    const batch = 32;
    for (let first = 0; first < frames; first += batch) {
      const last = Math.min(frames, first + batch);
      for (let n = first; n < last; n++) {
        const frame = buildUdpFrame({ dstMac: mac(tapMac), srcMac: mac(ourMac), src: ipv4(ourIp), dst: ipv4(kernelIp), sport: ourPort, dport: kernelPort, payload: payload(n) });
        const b = txBufs[n % num];
        b.bytes.fill(0, 0, hdr);
        b.bytes.set(frame, hdr);
        drivers[TX].add([{ iova: b.iova, length: hdr + frame.length }], [], n);
      }
      drivers[TX].publish();
      kick(TX);
      const deadline = Date.now() + WAIT_MS;
      while ((received.length < last || drivers[TX].free < num) && Date.now() < deadline) {
        for (let u = drivers[TX].getUsed(); u; u = drivers[TX].getUsed()) txUsed++;
        await sleep(5);
      }
      if (received.length < last) break;
    }
    const stat = (n: string) => readFileSync(`/sys/class/net/${tap.name}/statistics/${n}`, 'utf8').trim();
    const snmp = readFileSync('/proc/net/snmp', 'utf8').split('\n').filter((l) => /^(Ip|Udp):/.test(l)).join(' | ');
    expect('TX', received.length === frames, `${received.length} of ${frames} frames reached the socket (${txUsed} used by vhost; tap rx_packets ${stat('rx_packets')} rx_dropped ${stat('rx_dropped')} rx_errors ${stat('rx_errors')}; ${snmp})`);
    const bad = received.findIndex((m, n) => {
      const want = payload(n);
      return m.length !== want.length || m.some((b, i) => b !== want[i]);
    });
    expect('TX payloads', bad < 0, `datagram ${bad} differs`);
    const txSignalled = await linux.waitReadable(calls[TX], 0);
    // vhost's own count of the chains it took on each ring, from where both sides were told to start.
    const ends = [RX, TX].map((q) => v.vhost.getVringBase(q));
    expect('TX index', ends[TX] === ((options.base + frames) & INDEX_MASK), `vhost's TX avail index is ${ends[TX]}, not ${options.base} + ${frames} in 16 bits`);
    const indexes = [RX, TX].map((q) => `${['RX', 'TX'][q]} ${options.base} to ${ends[q]}`).join(', ');
    return `tap ${tap.name}; RX: ${frames} datagrams from the kernel's UDP socket arrived whole on the RX virtqueue (${rxOther} other frames), ${rxSignals} call signals; TX: ${frames} frames from the TX virtqueue reached the socket, payloads identical; TX call eventfd ${txSignalled ? 'signalled' : 'quiet'}; avail indexes ${indexes}`;
  } finally {
    socket.close();
    v.close();
  }
}

await check('vhost-net with a tap: frames from the TX virtqueue reach the kernel, frames the kernel sends arrive on the RX virtqueue, the call eventfd signalled', () =>
  datagramsThroughVhost({ base: 0, features: 0n, subnet: '10.0.0' }),
);

// The rings resumed 100 entries short of 65,536: both indexes wrap within the 200 datagrams each
// way, and under event idx so do the avail_event and used_event each side asks at.
await check("vhost-net resumed at ring index 65,436 (VHOST_SET_VRING_BASE), with event idx: 200 datagrams each way, both rings' indexes wrapping past 65,535", () =>
  datagramsThroughVhost({ base: WRAP_BASE, features: featureBit(VIRTIO_RING_F_EVENT_IDX), subnet: '10.0.5' }),
);

// What SplitQueueDevice does when it starts over a ring with chains in flight (it reads the used
// index from the ring, virtqueue.test.ts), checked against vhost: had vhost taken its used index
// from the base, the next chain's entry would land two past where the driver looks, and the
// driver would see three entries, two of them never written.
await check('vhost-net started past 2 TX chains another device took and never used: it reads the used index from the ring, and the next chain comes back where the driver looks', async () => {
  const TAKEN = 2;
  const q = droppingTxQueue(linux, { eventIdx: false, subnet: '10.0.8', txTaken: TAKEN, signal });
  try {
    const { tx, bufs, length } = q;
    const next = TAKEN;
    tx.add([{ iova: bufs[next].iova, length }], [], next);
    tx.publish();
    q.kick();
    for (const deadline = Date.now() + WAIT_MS; tx.usedWaiting() === 0 && Date.now() < deadline; ) await sleep(5);
    const waiting = tx.usedWaiting();
    expect('used index', waiting === 1, `vhost published ${waiting} used entries for the one chain it was offered`);
    const used = tx.getUsed();
    expect('used entry', used?.token === next, `the entry where the driver looks is ${used === undefined ? 'missing' : `token ${used.token}`}, not the chain added after the start`);
    expect('in flight', tx.free === tx.num - TAKEN, `${tx.num - tx.free} chains in flight, not the ${TAKEN} vhost was told were taken`);
    return `1 used entry for the 1 chain offered, at the index the driver looks at; the ${TAKEN} chains taken before stay in flight`;
  } finally {
    q.close();
  }
});

await check("event idx with the kernel's vhost-net: a kick only where shouldKick says, an interrupt asked for at the n-th used entry, and no frame left waiting", async () => {
  const q = droppingTxQueue(linux, { eventIdx: true, subnet: '10.0.3', signal });
  try {
    return describeRounds(await eventIdxRounds(linux, { ...q, rounds: 300 }), 'vhost');
  } finally {
    q.close();
  }
});

await check('interrupts off with the kernel\'s vhost-net, by VRING_AVAIL_F_NO_INTERRUPT: no signal over 300 frames; turned on, one for each frame sent alone', () =>
  interruptsOffVhost(linux, signal, { eventIdx: false, subnet: '10.0.6' }),
);

await check('interrupts off with the kernel\'s vhost-net under event idx, by used_event half the index space ahead: at most the one signal vhost gives as the ring starts; turned on, one for each frame sent alone', () =>
  interruptsOffVhost(linux, signal, { eventIdx: true, subnet: '10.0.7' }),
);

await check('vhost-net with mergeable RX buffers: datagrams the kernel sends arrive over smaller buffers, num_buffers counting them, and NetLoopback spreads the same frames the same way', () => mergeableRx(linux, signal));

interface VirtioNets {
  nets: string[];
  container: Container;
  sender: VirtioPciDevice;
  receiver: VirtioPciDevice;
}
let virtioNetsBound: VirtioNets | undefined;

/** The modern virtio functions of one kind (VIRTIO_NET_MODERN_DEVICE, ...) on the PCI bus. */
const virtioFunctions = (device: number) => readdirSync(pci).filter((d) => attr(d, 'vendor') === VIRTIO_PCI_VENDOR && attr(d, 'device') === device);

/** Takes a function from the kernel's driver (virtio-pci, at boot) and gives it to vfio-pci. */
function bindToVfio(fn: string): void {
  if (existsSync(`${pci}/${fn}/driver`)) writeFileSync(`${pci}/${fn}/driver/unbind`, fn);
  writeFileSync(`${pci}/${fn}/driver_override`, 'vfio-pci');
  writeFileSync('/sys/bus/pci/drivers/vfio-pci/bind', fn);
}

/** The VFIO group of a function bound to vfio-pci. */
const groupOf = (fn: string) => new Group(linux, Number(basename(readlinkSync(`${pci}/${fn}/iommu_group`))));

/** The two virtio-net-pci functions, taken from the kernel's virtio-pci driver for vfio-pci (once), their groups in one container. */
function virtioNets(): VirtioNets {
  if (virtioNetsBound) return virtioNetsBound;
  const nets = virtioFunctions(VIRTIO_NET_MODERN_DEVICE);
  expect('virtio-net-pci functions', nets.length === 2, `found ${nets.length}: ${nets.join(' ')}`);
  nets.forEach(bindToVfio);
  // One container, both groups in it: one IOMMU context, one DMA mapping for both devices.
  const container = new Container(linux);
  const groups = nets.map(groupOf);
  groups[0].setContainer(container);
  container.setIommu(VFIO_TYPE1v2_IOMMU);
  groups[1].setContainer(container);
  const [sender, receiver] = nets.map((d, k) => new VirtioPciDevice(new Device(linux, groups[k].deviceFd(d), d)));
  virtioNetsBound = { nets, container, sender, receiver };
  return virtioNetsBound;
}

await check('user-space virtio-net over VFIO: two virtio-net-pci functions on one QEMU hub, frames sent by one arrive at the other byte for byte', async () => {
  const { nets, container, sender, receiver } = virtioNets();
  const num = 256;
  const hdr = virtio_net_hdr_mrg_rxbuf.size; // VERSION_1: the 12-byte header on every buffer
  const bufSize = hdr + 2048;
  // The receiver takes mergeable RX buffers smaller than most frames: QEMU spreads each over as
  // many as it takes, and NetLoopback must spread the same frames the same way.
  const rxBufSize = 512;
  const pool = new DmaPool(linux, container, 2 * splitRingBytes(num) + num * (bufSize + rxBufSize), 1n << 32n);
  const wanted = featureBit(VIRTIO_F_VERSION_1) | featureBit(VIRTIO_F_ACCESS_PLATFORM);
  const rxWanted = wanted | featureBit(VIRTIO_NET_F_MRG_RXBUF);
  const negotiated = [sender, receiver].map((dev, k) => {
    dev.device.enablePciBusMaster();
    return dev.negotiate(k === 0 ? wanted : rxWanted);
  });
  expect('features', negotiated[0] === wanted && negotiated[1] === rxWanted, negotiated.map((f) => `0x${f.toString(16)}`).join(', '));
  const rings = () => allocSplitRing(num, (size, align) => pool.alloc(size, align));
  const RXQ = 0;
  const TXQ = 1;
  const rxRings = rings();
  const txRings = rings();
  // The receiver's RX queue interrupts through MSI-X vector 0, which VFIO signals on an eventfd.
  const rxIrq = linux.eventfd();
  receiver.device.setIrqEventfds(VFIO_PCI_MSIX_IRQ_INDEX, 0, [rxIrq]);
  receiver.setConfigVector(VIRTIO_MSI_NO_VECTOR);
  // The drivers zero their rings: before the devices are told of them.
  const rx = new SplitQueueDriver<number>(num, rxRings, false);
  const tx = new SplitQueueDriver<number>(num, txRings, false);
  // Every used entry QEMU writes must land whole. Its len fields are poisoned first: one written
  // short (as QEMU 7.2 writes an element that straddles an IOMMU page: split-layout.ts) keeps the
  // poison, which no chain can take, and the driver refuses it. The TX ring crosses a page, so
  // the placement that keeps its elements off page boundaries is what this covers.
  for (const r of [rxRings, txRings]) poisonUsedLengths(r.used.bytes, num);
  expect('a used ring across a page', pageOf(txRings.used.iova) !== pageOf(txRings.used.iova + BigInt(txRings.used.bytes.length - 1)), `the TX used ring at ${hex(txRings.used.iova)}+${txRings.used.bytes.length} is within one page`);
  receiver.setupQueue(RXQ, num, rxRings, 0);
  sender.setupQueue(TXQ, num, txRings);
  receiver.driverOk();
  sender.driverOk();
  let refused = '';
  try {
    sender.kick(RXQ); // the sender's RX queue was never set up
  } catch (e) {
    refused = String(e);
  }
  expect('a kick of a queue not set up', /queue 0 was kicked before setupQueue/.test(refused), refused || 'accepted');
  rx.setInterrupts(true);
  const macAt = virtio_net_config.offsetOf('mac');
  const [srcMac, dstMac] = [sender, receiver].map((d) => d.readDeviceConfig(macAt, ETH_ALEN));
  const rxBufs = Array.from({ length: num }, () => pool.alloc(rxBufSize));
  const txBufs = Array.from({ length: num }, () => pool.alloc(bufSize));
  const post = (k: number) => rx.add([], [{ iova: rxBufs[k].iova, length: rxBufSize }], k);
  for (let k = 0; k < num; k++) post(k);
  rx.publish();
  receiver.kick(RXQ);
  const collect = frameCollector(rxWanted, num, (k) => rxBufs[k].bytes, post);
  const delivered: Delivered[] = [];
  const frames = 200;
  const frameOf = (n: number) => {
    const payload = 46 + ((n * 97) % 1400); // Ethernet's minimum payload and up
    const f = new Uint8Array(ethhdr.size + payload);
    ethhdr.encode({ h_dest: dstMac, h_source: srcMac, h_proto: ETH_P_802_EX1 }, new DataView(f.buffer), 0);
    for (let i = ethhdr.size; i < f.length; i++) f[i] = (n * 13 + i) & 0xff;
    return f;
  };
  let got = 0;
  let sent = 0;
  let txUsed = 0;
  let interrupts = 0;
  const counter = new Uint8Array(u64.size);
  const deadline = Date.now() + WAIT_MS;
  /** Frames `from` up to `upTo` onto the sender's TX ring, published and kicked; returns `upTo`. */
  const sendFrames = (from: number, upTo: number) => {
    for (let n = from; n < upTo; n++) {
      const b = txBufs[n % num];
      const f = frameOf(n);
      b.bytes.fill(0, 0, hdr);
      b.bytes.set(f, hdr);
      tx.add([{ iova: b.iova, length: hdr + f.length }], [], n);
    }
    tx.publish();
    sender.kick(TXQ);
    return upTo;
  };
  while (got < frames && Date.now() < deadline) {
    sent = sendFrames(sent, Math.max(sent, Math.min(frames, got + num / 2)));
    if (await linux.waitReadable(rxIrq, Math.max(0, deadline - Date.now()))) {
      linux.read(rxIrq, counter);
      interrupts++;
    }
    while (tx.getUsed()) txUsed++;
    for (let u = rx.getUsed(); u; u = rx.getUsed()) {
      const d = collect(u.token!, u.length);
      if (!d) continue;
      const want = frameOf(got);
      expect(`frame ${got}`, d.frame.length === want.length && d.frame.every((x, i) => x === want[i]), `${d.frame.length} bytes received, ${want.length} sent, or the bytes differ`);
      expect(`frame ${got}: all but the last buffer full`, d.lengths.slice(0, -1).every((l) => l === rxBufSize), `used lengths ${d.lengths.join(' ')}`);
      delivered.push(d);
      got++;
    }
    rx.publish();
    receiver.kick(RXQ);
  }
  expect('RX', got === frames, `${got} of ${frames} frames arrived (${interrupts} interrupts)`);
  const spread = delivered.filter((d) => d.lengths.length > 1).length;
  expect('spread', spread > 0, 'no frame took more than one RX buffer');
  const differ = loopbackDiffers(rxWanted, num, rxBufSize, delivered, 'QEMU');
  expect('NetLoopback against QEMU', differ.length === 0, differ.slice(0, 3).join('; '));
  // The sender's chains come back too: a TX queue that never returned them would fill and stall.
  // QEMU marks a frame's chain used after the hub has delivered it: the last may come a moment later.
  for (const until = Date.now() + WAIT_MS; txUsed < frames && Date.now() < until; await sleep(5)) while (tx.getUsed()) txUsed++;
  expect('TX used', txUsed === frames && tx.free === num, `${txUsed} of ${frames} TX chains came back used, ${tx.free} of ${num} descriptors free`);
  expect('RX interrupts', interrupts > 0, 'the RX queue never interrupted through MSI-X');
  // Then interrupts off, by VRING_AVAIL_F_NO_INTERRUPT (no event idx here), the receiver polling:
  // QEMU must not raise the RX queue's MSI-X vector for the frames that come meanwhile. VFIO adds
  // 1 to the eventfd per message, so the counter read at the end is the count.
  rx.setInterrupts(false);
  takeEventfd(linux, rxIrq);
  const quiet = 100;
  let quietGot = 0;
  let quietSent = 0;
  for (const until = Date.now() + WAIT_MS; quietGot < quiet && Date.now() < until; await sleep(1)) {
    quietSent = sendFrames(quietSent, Math.max(quietSent, Math.min(quiet, quietGot + num / 2)));
    while (tx.getUsed()) txUsed++;
    for (let u = rx.getUsed(); u; u = rx.getUsed()) if (collect(u.token!, u.length)) quietGot++;
    rx.publish();
    receiver.kick(RXQ);
  }
  const quietSignals = takeEventfd(linux, rxIrq);
  expect('RX interrupts off', quietGot === quiet && quietSignals === 0n, `${quietGot} of ${quiet} frames polled from the RX ring, with ${quietSignals} MSI-X interrupts while they were off`);
  receiver.device.disableIrqs(VFIO_PCI_MSIX_IRQ_INDEX);
  linux.close(rxIrq);
  const hexMac = (m: Uint8Array) => [...m].map((x) => x.toString(16).padStart(2, '0')).join(':');
  [sender, receiver].forEach((d) => d.reset());
  const buffers = delivered.reduce((n, d) => n + d.lengths.length, 0);
  return `${nets.join(' -> ')}: features VERSION_1 ACCESS_PLATFORM, and MRG_RXBUF on the receiver; ${frames} frames of 60-1459 bytes from ${hexMac(srcMac)} to ${hexMac(dstMac)} through QEMU's hub, all identical, every TX chain used; received in ${buffers} RX buffers of ${rxBufSize} bytes (${spread} frames spread, all but the last buffer full), the same buffers and used lengths NetLoopback gives the same frames; the receiver woken by ${interrupts} MSI-X interrupts on an eventfd; then with interrupts off (VRING_AVAIL_F_NO_INTERRUPT), ${quiet} more frames polled and ${quietSignals} interrupts`;
});

await check("event idx with QEMU's virtio-net over VFIO: a kick only where shouldKick says, a TX interrupt through MSI-X asked for at the n-th used entry, and no frame left waiting; then interrupts off, and none comes over 300 frames", async () => {
  const { container, sender, receiver } = virtioNets();
  const RXQ = 0;
  const TXQ = 1;
  const num = 64;
  const hdr = virtio_net_hdr_mrg_rxbuf.size;
  const pool = new DmaPool(linux, container, 2 * splitRingBytes(num) + 2 * num * PAGE, 1n << 36n);
  const wanted = featureBit(VIRTIO_F_VERSION_1) | featureBit(VIRTIO_F_ACCESS_PLATFORM) | featureBit(VIRTIO_RING_F_EVENT_IDX);
  const negotiated = [sender, receiver].map((d) => {
    d.device.enablePciBusMaster();
    return d.negotiate(wanted);
  });
  expect('features', negotiated.every((f) => f === wanted), negotiated.map((f) => hex(f)).join(', '));
  const [txRings, rxRings] = [0, 1].map(() => allocSplitRing(num, (size, align) => pool.alloc(size, align)));
  const tx = new SplitQueueDriver<number>(num, txRings, true);
  const rx = new SplitQueueDriver<number>(num, rxRings, true);
  // The sender's TX queue interrupts through MSI-X vector 0; the receiver is polled.
  const txIrq = linux.eventfd();
  sender.device.setIrqEventfds(VFIO_PCI_MSIX_IRQ_INDEX, 0, [txIrq]);
  sender.setConfigVector(VIRTIO_MSI_NO_VECTOR);
  sender.setupQueue(TXQ, num, txRings, 0);
  receiver.setupQueue(RXQ, num, rxRings);
  sender.driverOk();
  receiver.driverOk();
  const macAt = virtio_net_config.offsetOf('mac');
  const [srcMac, dstMac] = [sender, receiver].map((d) => d.readDeviceConfig(macAt, ETH_ALEN));
  const frame = new Uint8Array(ethhdr.size + 46);
  ethhdr.encode({ h_dest: dstMac, h_source: srcMac, h_proto: ETH_P_802_EX1 }, new DataView(frame.buffer), 0);
  const txBufs = Array.from({ length: num }, () => pool.alloc(PAGE));
  const rxBufs = Array.from({ length: num }, () => pool.alloc(PAGE));
  for (const b of txBufs) b.bytes.set(frame, hdr);
  const post = (k: number) => rx.add([], [{ iova: rxBufs[k].iova, length: PAGE }], k);
  for (let k = 0; k < num; k++) post(k);
  rx.publish();
  receiver.kick(RXQ);
  let received = 0;
  /** The receiver's used buffers posted again, kicked where shouldKick says: the hub holds the sender's TX queue while the receiver has none. */
  const repost = () => {
    for (let u = rx.getUsed(); u; u = rx.getUsed(), received++) post(u.token!);
    rx.publish();
    if (rx.shouldKick()) receiver.kick(RXQ);
  };
  try {
    const r = await eventIdxRounds(linux, { tx, bufs: txBufs, length: hdr + frame.length, kick: () => sender.kick(TXQ), irq: txIrq, rounds: 200, afterRound: repost, state: () => `NEEDS_RESET ${sender.needsReset}` });
    for (const until = Date.now() + WAIT_MS; received < r.frames && Date.now() < until; await sleep(5)) repost();
    expect('received', received === r.frames, `${received} of ${r.frames} frames reached the receiver`);
    // QEMU has signalled in the rounds above, so it has an index to compare used_event with:
    // with interrupts off, not even the one signal a ring just started may give.
    const off = await interruptsOffRounds(linux, { tx, bufs: txBufs, length: hdr + frame.length, kick: () => sender.kick(TXQ), irq: txIrq, allowed: 0n, poll: repost });
    const total = r.frames + off.frames;
    for (const until = Date.now() + WAIT_MS; received < total && Date.now() < until; await sleep(5)) repost();
    expect('received', received === total, `${received} of ${total} frames reached the receiver`);
    return `${describeRounds(r, 'QEMU')}; all ${r.frames} frames reached the receiver. Interrupts off, ${off.summary}; all ${off.frames} reached the receiver`;
  } finally {
    sender.device.disableIrqs(VFIO_PCI_MSIX_IRQ_INDEX);
    linux.close(txIrq);
    [sender, receiver].forEach((d) => d.reset());
  }
});

/** The virtio-blk function's serial (harness.sh), which GET_ID answers: our RAM disk is given the same. */
const SERIAL = 'uapigen-disk';
/** Written where a status byte goes before a request is served: no status has this value. */
const NOT_A_STATUS = 0xff;

await check('hostile rings: each class kicked to QEMU\'s virtio-net over VFIO, and the same bytes popped by SplitQueueDevice', async () => {
  const { container, sender, receiver } = virtioNets();
  const RXQ = 0;
  const TXQ = 1;
  const rxNum = 64;
  const pool = new DmaPool(linux, container, (5 + 3) * PAGE + rxNum * PAGE, 1n << 33n);
  // QEMU's hub takes the frame to the receiver whatever its addresses (virtio-net starts promiscuous).
  const a = ringArea(pool, container, UNSENT_FRAME);
  const wanted = featureBit(VIRTIO_F_VERSION_1) | featureBit(VIRTIO_F_ACCESS_PLATFORM) | featureBit(VIRTIO_RING_F_INDIRECT_DESC);
  // The receiver takes what the good rings send: a frame the hub cannot deliver would hold the sender's TX queue.
  receiver.negotiate(wanted);
  const rxRings = allocSplitRing(rxNum, (size, align) => pool.alloc(size, align));
  const rxBufs = Array.from({ length: rxNum }, () => pool.alloc(PAGE));
  const rx = new SplitQueueDriver<number>(rxNum, rxRings, false);
  receiver.setupQueue(RXQ, rxNum, rxRings);
  rxBufs.forEach((b, k) => rx.add([], [{ iova: b.iova, length: PAGE }], k));
  rx.publish();
  receiver.driverOk();
  receiver.kick(RXQ);
  /** What reached the receiver: each frame's bytes as its RX buffer took them, behind the receiver's own virtio-net header. */
  const received = async (frames: number): Promise<Uint8Array[]> => {
    for (const until = Date.now() + VERDICT_MS; rx.usedWaiting() < frames && Date.now() < until; ) await sleep(5);
    const got: Uint8Array[] = [];
    for (let u = rx.getUsed(); u; u = rx.getUsed()) {
      got.push(rxBufs[u.token!].bytes.slice(NET_HEADER, u.length));
      rx.add([], [{ iova: rxBufs[u.token!].iova, length: PAGE }], u.token);
    }
    rx.publish();
    receiver.kick(RXQ);
    return got;
  };
  try {
    // Published after DRIVER_OK, as a driver sends: QEMU's virtio-net looks at its TX queue on DRIVER_OK too.
    return await compareHostile("QEMU's virtio-net", a, async (c) => {
      const w = writeCase(a, c);
      sender.negotiate(wanted);
      sender.setupQueue(TXQ, HOSTILE_NUM, a.rings);
      sender.driverOk();
      w.publish();
      sender.kick(TXQ);
      const d = await verdictOf(w.offered, w.usedIdx, () => sender.needsReset, 'NEEDS_RESET');
      const frames = await received(d.verdict === 'used' ? w.offered : 0);
      // The sender's chain is its virtio-net header and the frame; the receiver gets the frame.
      const want = c.reads?.(a.target).subarray(NET_HEADER);
      const sentWhole = want !== undefined && frames.length === 1 && sameBytes(frames[0], want);
      // Of a hostile ring, whether what QEMU sent is what a good buffer holds, or zeros it did not read from the ring's memory.
      const sent = frames.map((f) => (sameBytes(f, a.target.frame.subarray(NET_HEADER)) ? 'a good buffer\'s bytes' : f.every((x) => x === 0) ? 'zeros' : 'other bytes'));
      const what = want && frames.length === 1 ? `a frame of ${frames[0].length} bytes${sentWhole ? ', the ring\'s bytes' : ', not the ring\'s bytes'}` : `${frames.length === 1 ? 'a frame' : `${frames.length} frames`} of ${[...new Set(sent)].join(' and ')}`;
      return { ...d, sentWhole, detail: frames.length ? `${d.detail}, the receiver took ${what}` : d.detail };
    }, ['a direct buffer, then an indirect table']);
  } finally {
    sender.reset();
    receiver.reset();
  }
});

/** How long the socket has to see a datagram vhost sent; then how long more for any after it. */
const DATAGRAM_MS = 1000;
const SETTLE_MS = 20;

await check('hostile rings: each class kicked to the kernel\'s vhost-net, and the same bytes popped by SplitQueueDevice', async () => {
  const tap = openTap(linux, 'uapigen%d');
  // A good ring's frame is a datagram to a socket of the kernel's on the tap: its checksums hold
  // only if vhost sent every byte the chain holds, so what arrives shows it did.
  const addresses = addressTap(tap.name, '10.0.4');
  const socket = createSocket('udp4');
  await new Promise<void>((resolve, reject) => socket.once('error', reject).bind(0, addresses.kernelIp, () => resolve()));
  const datagrams: Uint8Array[] = [];
  socket.on('message', (m) => datagrams.push(new Uint8Array(m)));
  const frame = goodFrame({ dstMac: mac(addresses.tapMac), srcMac: mac(addresses.ourMac), src: ipv4(addresses.ourIp), dst: ipv4(addresses.kernelIp), sport: 4789, dport: socket.address().port });
  // vhost's own words for a ring it refuses are pr_debug lines: turned on, the kernel log cleared
  // before each ring and read once its verdict is in.
  const debug = '/sys/kernel/debug/dynamic_debug/control';
  try {
    if (!existsSync(debug)) execFileSync('mount', ['-t', 'debugfs', 'debugfs', '/sys/kernel/debug'], { stdio: 'pipe' });
    writeFileSync(debug, 'module vhost +p');
  } catch {
    // Without dynamic debug the verdicts stand alone.
  }
  const MARK = 'uapigen: the verdict is in';
  const kernelLog = (clear: '-C' | '-c') => {
    try {
      // A line without a newline stays open in the kernel's log until the next one: the mark closes vhost's last.
      if (clear === '-c') writeFileSync('/dev/kmsg', `${MARK}\n`);
      return [...new Set(execFileSync('dmesg', [clear, '--notime'], { encoding: 'utf8' }).split('\n').map((l) => l.trim()).filter((l) => l && !l.includes(MARK)))];
    } catch {
      return [];
    }
  };
  // The pool is mapped by each case's own vhost device (its memory table, a.mappings); this mapper maps nothing.
  const mapsNothing = { mapDma: () => undefined };
  const pool = new DmaPool(linux, mapsNothing, 5 * PAGE, 1n << 34n);
  const a = ringArea(pool, mapsNothing, frame);
  const TX = 1;
  try {
    return await compareHostile("the kernel's vhost-net", a, async (c) => {
      // A fresh vhost device a ring: one that refused a chain stays at it.
      const vhost = new VhostKernelTransport(linux);
      const fds = [linux.eventfd(), linux.eventfd(), linux.eventfd()];
      const [kick, call, err] = fds;
      try {
        vhost.setOwner();
        vhost.setFeatures(vhost.getFeatures() & (featureBit(VIRTIO_F_VERSION_1) | featureBit(VHOST_NET_F_VIRTIO_NET_HDR) | featureBit(VIRTIO_RING_F_INDIRECT_DESC)));
        vhost.setMemTable(a.mappings.map((m) => ({ guestPhysAddr: m.iova, size: BigInt(m.size), userspaceAddr: a.area.vaddr + BigInt(m.offset) })));
        const w = writeCase(a, c);
        kernelLog('-C');
        datagrams.length = 0;
        vhost.setVringNum(TX, HOSTILE_NUM);
        vhost.setVringBase(TX, 0);
        vhost.setVringAddr({ index: TX, flags: VHOST_VRING.none, desc_user_addr: a.rings.desc.vaddr, avail_user_addr: a.rings.avail.vaddr, used_user_addr: a.rings.used.vaddr, log_guest_addr: 0n });
        vhost.setVringKick(TX, kick);
        vhost.setVringCall(TX, call);
        vhost.setVringErr(TX, err);
        vhost.setNetBackend(TX, tap.fd);
        vhost.setState(VHOST_DEVICE_S_RUNNING);
        w.publish();
        signal(kick);
        const verdict = await verdictOf(w.offered, w.usedIdx, () => linux.waitReadable(err, 0), 'the error eventfd signalled');
        // The kernel delivers what vhost sent within milliseconds; the socket's events come through this loop.
        for (const until = Date.now() + (verdict.verdict === 'used' ? DATAGRAM_MS : 0); datagrams.length === 0 && Date.now() < until; ) await sleep(5);
        await sleep(SETTLE_MS);
        const want = c.reads?.(a.target);
        const payload = want && parseUdpFrame(want.subarray(NET_HEADER))?.payload;
        const sentWhole = payload !== undefined && datagrams.length === 1 && sameBytes(datagrams[0], payload);
        const got = datagrams.length === 0 ? '' : `, the socket got ${datagrams.length} datagram${datagrams.length > 1 ? 's' : ''}${want ? (sentWhole ? ', the ring\'s' : ', not the ring\'s') : ''}`;
        return { ...verdict, sentWhole, detail: `${verdict.detail}${got}`, said: kernelLog('-c') };
      } finally {
        vhost.setState(VHOST_DEVICE_S_STOPPED);
        vhost.close();
        fds.forEach((fd) => linux.close(fd));
      }
    });
  } finally {
    socket.close();
    linux.close(tap.fd);
  }
});

await check("virtio-blk: the same requests to QEMU's virtio-blk over VFIO and to BlockRamDisk, answered with the same status", async () => {
  const fns = virtioFunctions(VIRTIO_BLK_MODERN_DEVICE);
  expect('virtio-blk-pci function', fns.length === 1, `found ${fns.length}: ${fns.join(' ')}`);
  const [fn] = fns;
  bindToVfio(fn);
  const container = new Container(linux);
  const group = groupOf(fn);
  group.setContainer(container);
  container.setIommu(VFIO_TYPE1v2_IOMMU);
  const qemu = new VirtioPciDevice(new Device(linux, group.deviceFd(fn), fn));
  qemu.device.enablePciBusMaster();
  const num = 16;
  const pool = new DmaPool(linux, container, 64 * PAGE, 1n << 32n);
  const negotiated = qemu.negotiate(featureBit(VIRTIO_F_VERSION_1) | featureBit(VIRTIO_F_ACCESS_PLATFORM));
  const capacity = u64.decode(new DataView(qemu.readDeviceConfig(virtio_blk_config.offsetOf('capacity'), u64.size).buffer), 0);
  const qemuRing = allocSplitRing(num, (size, align) => pool.alloc(size, align));
  const qemuDriver = new SplitQueueDriver<string>(num, qemuRing, false);
  qemu.setupQueue(0, num, qemuRing);
  qemu.driverOk();
  // Ours: a RAM disk of the same capacity and ID, in memory of its own (IOVA = offset).
  const arena = new DmaArena(1 << 20);
  const ours = arena.queue<string>(num, false);
  const disk = new BlockRamDisk(ours.device, capacity, SERIAL);

  interface Side {
    alloc(size: number): { iova: bigint; bytes: Uint8Array };
    driver: SplitQueueDriver<string>;
    serve(): Promise<void>;
  }
  const sides: Side[] = [
    {
      alloc: (size) => pool.alloc(size, u64.size),
      driver: qemuDriver,
      serve: async () => {
        qemu.kick(0);
        for (const until = Date.now() + WAIT_MS; qemuDriver.usedWaiting() === 0; await sleep(2)) {
          if (qemu.needsReset) throw new Error('QEMU set NEEDS_RESET');
          if (Date.now() > until) throw new Error(`no answer in ${WAIT_MS} ms`);
        }
      },
    },
    { alloc: (size) => arena.alloc(size, u64.size), driver: ours.driver, serve: async () => void disk.run(1) },
  ];
  /** One request on one side: header, data (readable for OUT, writable otherwise) and the status byte. */
  const request = async (side: Side, type: number, sector: bigint, data: Uint8Array | number) => {
    const hdr = side.alloc(virtio_blk_outhdr.size);
    hdr.bytes.set(virtio_blk_outhdr.toBytes({ type, ioprio: 0, sector }));
    const out = typeof data !== 'number';
    const buf = side.alloc(out ? data.length : data);
    if (out) buf.bytes.set(data);
    const status = side.alloc(1);
    status.bytes[0] = NOT_A_STATUS;
    const bufRef = buf.bytes.length ? [{ iova: buf.iova, length: buf.bytes.length }] : [];
    side.driver.add([{ iova: hdr.iova, length: hdr.bytes.length }, ...(out ? bufRef : [])], [...(out ? [] : bufRef), { iova: status.iova, length: 1 }], 'request');
    side.driver.publish();
    await side.serve();
    const used = side.driver.getUsed()!;
    return { status: status.bytes[0], length: used.length, data: out ? undefined : buf.bytes };
  };
  const SECTOR = VIRTIO_BLK_SECTOR_SIZE;
  const pattern = Uint8Array.from({ length: SECTOR }, (_, i) => (i * 7 + 3) & 0xff);
  const rows: [string, number, bigint, Uint8Array | number, Uint8Array?][] = [
    ['OUT of one sector at sector 1', VIRTIO_BLK_T_OUT, 1n, pattern],
    ['IN of that sector', VIRTIO_BLK_T_IN, 1n, SECTOR, pattern],
    ['GET_ID', VIRTIO_BLK_T_GET_ID, 0n, VIRTIO_BLK_ID_BYTES, Uint8Array.from({ length: VIRTIO_BLK_ID_BYTES }, (_, i) => SERIAL.charCodeAt(i) || 0)],
    ['FLUSH', VIRTIO_BLK_T_FLUSH, 0n, 0],
    ['IN at the capacity', VIRTIO_BLK_T_IN, capacity, SECTOR],
    ['IN across the end', VIRTIO_BLK_T_IN, capacity - 1n, 2 * SECTOR],
    ['IN at sector 2^63', VIRTIO_BLK_T_IN, 1n << 63n, SECTOR],
    ['OUT of 100 bytes, not whole sectors', VIRTIO_BLK_T_OUT, 0n, pattern.subarray(0, 100)],
    ['an unknown type', 0x7ffe, 0n, SECTOR],
    ['DISCARD, not negotiated', VIRTIO_BLK_T_DISCARD, 0n, pattern],
  ];
  const statusName = (v: number) => ({ [VIRTIO_BLK_S_OK]: 'OK', [VIRTIO_BLK_S_IOERR]: 'IOERR', [VIRTIO_BLK_S_UNSUPP]: 'UNSUPP' })[v] ?? hex(v);
  const differ: string[] = [];
  try {
    for (const [what, type, sector, data, want] of rows) {
      const [q, o] = [await request(sides[0], type, sector, data), await request(sides[1], type, sector, data)];
      console.log(`KERNEL-TEST info virtio-blk ${what}: QEMU ${statusName(q.status)}, used length ${q.length}; BlockRamDisk ${statusName(o.status)}, used length ${o.length}`);
      expect(what, q.status === o.status, `QEMU answered ${statusName(q.status)}, BlockRamDisk ${statusName(o.status)}`);
      if (want) for (const [name, got] of [['QEMU', q.data], ['BlockRamDisk', o.data]] as const) expect(`${what}: ${name}'s data`, got!.every((b, i) => b === want[i]), 'differs from what was written');
      if (q.length !== o.length) differ.push(`${what} (QEMU ${q.length}, ours ${o.length})`);
    }
  } finally {
    qemu.reset();
  }
  return `${fn}: features ${decodeFeatures(negotiated).names.join(' ')}, capacity ${capacity} sectors; ${rows.length} requests, the same status from both, data read back identical${differ.length ? `; used lengths differ for ${differ.join(', ')}` : ''}`;
});

finish();
