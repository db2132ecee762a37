// The kernel's vhost-net with a tap as its backend, driven from user space: two split rings
// (RX, TX) in DMA memory that vhost's memory table maps, a kick and a call eventfd each, RX
// buffers posted, and the tap up with the kernel's address on it and ours as a permanent
// neighbour (so no ARP runs). The kernel tests that move frames through vhost-net share it;
// the hostile-ring check, which makes a vhost device a ring, shares the tap's addressing.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { VHOST_DEVICE_S_RUNNING, VHOST_DEVICE_S_STOPPED } from '../../generated/vfio_vhost.js';
import { VHOST_NET_F_VIRTIO_NET_HDR, VHOST_VRING } from '../../generated/vhost.js';
import { VIRTIO_F_VERSION_1 } from '../../generated/virtio_config.js';
import { virtio_net_hdr_mrg_rxbuf } from '../../generated/virtio_net.js';
import { VIRTIO_RING_F_EVENT_IDX } from '../../generated/virtio_ring.js';
import { featureBit } from '../../runtime/vhost/features.js';
import { DmaPool, type DmaPiece } from '../../runtime/dma-pool.js';
import { LinuxBackend } from '../../runtime/linux/backend.js';
import { openTap } from '../../runtime/linux/tap.js';
import { VhostKernelTransport } from '../../runtime/vhost/kernel-transport.js';
import { SplitQueueDriver } from '../../runtime/virtio/driver-queue.js';
import { allocSplitRing, INDEX_MASK, splitRingBytes, USED } from '../../runtime/virtio/split-layout.js';
import { buildUdpFrame, ipv4, mac } from '../helpers/frames.js';
import { expect, hex } from './checks.js';
import type { TxQueue } from './tx-queue.js';

/** A used len no chain can take (more bytes than any buffer here): what an entry a device did not write keeps. */
export const POISON = 0xffff_ffff;

/** Sets the len of each of a used ring's `num` elements to POISON; a device overwrites the ones it uses. */
export function poisonUsedLengths(used: Uint8Array, num: number): void {
  const view = new DataView(used.buffer, used.byteOffset, used.byteLength);
  for (let k = 0; k < num; k++) view.setUint32(USED.ring + USED.elem * k + USED.len, POISON, true);
}

export const RX = 0;
export const TX = 1;

/** A tap's addresses: the kernel's side of it, and ours behind it. */
export interface TapAddresses {
  tapMac: string;
  ourMac: string;
  kernelIp: string;
  ourIp: string;
}

/**
 * Puts the kernel at `<subnet>.1` on the tap and brings it up, with us at `<subnet>.2` as a
 * permanent neighbour (so no ARP runs) and IPv6 off (no router solicitations in the way).
 */
export function addressTap(name: string, subnet: string): TapAddresses {
  const ip = (...args: string[]) => execFileSync('ip', args, { stdio: 'pipe' });
  writeFileSync(`/proc/sys/net/ipv6/conf/${name}/disable_ipv6`, '1');
  const tapMac = readFileSync(`/sys/class/net/${name}/address`, 'utf8').trim();
  const ourMac = '02:00:00:00:00:02';
  const kernelIp = `${subnet}.1`;
  const ourIp = `${subnet}.2`;
  ip('addr', 'add', `${kernelIp}/24`, 'dev', name);
  ip('link', 'set', name, 'up');
  ip('neigh', 'replace', ourIp, 'lladdr', ourMac, 'dev', name, 'nud', 'permanent');
  return { tapMac, ourMac, kernelIp, ourIp };
}

export interface VhostTap extends TapAddresses {
  tap: { name: string; fd: number };
  vhost: VhostKernelTransport;
  /** RX then TX; the RX buffers are posted, token k for rxBufs[k]. */
  drivers: SplitQueueDriver<number>[];
  rxBufs: DmaPiece[];
  txBufs: DmaPiece[];
  calls: number[];
  kick(queue: number): void;
  close(): void;
}

/**
 * vhost-net running on a new tap with the features given (which vhost must offer; the drivers
 * follow VIRTIO_RING_F_EVENT_IDX among them), rings of `num` and buffers of `bufSize`, the
 * kernel at `<subnet>.1` and us at `<subnet>.2`; both rings start at index `base` (0 unless given).
 *
 * `txTaken` chains (0 unless given), txBufs[0] onwards, are made available on the TX ring
 * before vhost starts, and vhost is told (VHOST_SET_VRING_BASE) to start past them: the ring as
 * a device that took them and stopped before using them leaves it to the device after it.
 */
export function openVhostTap(
  linux: LinuxBackend,
  options: { features: bigint; num: number; bufSize: number; subnet: string; base?: number; txTaken?: number; signal: (eventfd: number) => void },
): VhostTap {
  const { features, num, bufSize, subnet } = options;
  const base = options.base ?? 0;
  const txTaken = options.txTaken ?? 0;
  const tap = openTap(linux, 'uapigen%d');
  const addresses = addressTap(tap.name, subnet);

  const vhost = new VhostKernelTransport(linux);
  vhost.setOwner();
  const offered = vhost.getFeatures();
  expect('features', (offered & features) === features, `offered ${hex(offered)}, wanted ${hex(features)}`);
  vhost.setFeatures(features);
  const rings = 2;
  const pool = new DmaPool(linux, vhost, rings * splitRingBytes(num) + 2 * num * bufSize, 1n << 32n);
  const kicks: number[] = [];
  const calls: number[] = [];
  const rxBufs = Array.from({ length: num }, () => pool.alloc(bufSize));
  const txBufs = Array.from({ length: num }, () => pool.alloc(bufSize));
  const drivers = [RX, TX].map((q) => {
    const r = allocSplitRing(num, (size, align) => pool.alloc(size, align));
    // Zeroes the ring (at `base`, its indexes there), before vhost is told of it: vhost reads the used index from it.
    const driver = new SplitQueueDriver<number>(num, r, (features & featureBit(VIRTIO_RING_F_EVENT_IDX)) !== 0n, 'shared', base);
    poisonUsedLengths(r.used.bytes, num); // every used entry vhost writes must land whole, as of QEMU's
    const taken = q === TX ? txTaken : 0;
    for (let k = 0; k < taken; k++) driver.add([{ iova: txBufs[k].iova, length: bufSize }], [], k);
    driver.publish();
    vhost.setVringNum(q, num);
    vhost.setVringBase(q, (base + taken) & INDEX_MASK);
    vhost.setVringAddr({ index: q, flags: VHOST_VRING.none, desc_user_addr: r.desc.vaddr, avail_user_addr: r.avail.vaddr, used_user_addr: r.used.vaddr, log_guest_addr: 0n });
    kicks[q] = linux.eventfd();
    calls[q] = linux.eventfd();
    vhost.setVringKick(q, kicks[q]);
    vhost.setVringCall(q, calls[q]);
    vhost.setNetBackend(q, tap.fd);
    return driver;
  });
  const kick = (q: number) => options.signal(kicks[q]);
  vhost.setState(VHOST_DEVICE_S_RUNNING);
  for (let k = 0; k < num; k++) drivers[RX].add([], [{ iova: rxBufs[k].iova, length: bufSize }], k);
  drivers[RX].publish();
  kick(RX);
  return {
    tap,
    vhost,
    drivers,
    rxBufs,
    txBufs,
    calls,
    kick,
    ...addresses,
    close: () => {
      vhost.setState(VHOST_DEVICE_S_STOPPED);
      vhost.close();
      linux.close(tap.fd);
    },
  };
}

/**
 * A vhost-net TX queue of 64 whose every buffer holds one small UDP frame to a MAC address
 * nobody has: the kernel drops each frame, and vhost uses each chain. What the driver-side
 * checks (event-idx-rounds.ts, interrupts-off.ts) drive. VERSION_1, the vnet header, and event
 * idx when asked.
 */
export function droppingTxQueue(linux: LinuxBackend, options: { eventIdx: boolean; subnet: string; txTaken?: number; signal: (eventfd: number) => void }): TxQueue & { close: () => void } {
  const hdr = virtio_net_hdr_mrg_rxbuf.size;
  const features = featureBit(VIRTIO_F_VERSION_1) | featureBit(VHOST_NET_F_VIRTIO_NET_HDR) | (options.eventIdx ? featureBit(VIRTIO_RING_F_EVENT_IDX) : 0n);
  const v = openVhostTap(linux, { features, num: 64, bufSize: hdr + 128, subnet: options.subnet, txTaken: options.txTaken, signal: options.signal });
  const frame = buildUdpFrame({ dstMac: mac('02:00:00:00:00:09'), srcMac: mac(v.ourMac), src: ipv4(v.ourIp), dst: ipv4(v.kernelIp), sport: 4789, dport: 9, payload: Uint8Array.of(1, 2, 3) });
  for (const b of v.txBufs) b.bytes.set(frame, hdr);
  return { tx: v.drivers[TX], bufs: v.txBufs, length: hdr + frame.length, kick: () => v.kick(TX), irq: v.calls[TX], close: v.close };
}
