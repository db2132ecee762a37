// The kernel's vhost-net with a tap as its backend, driven from user space: two split rings
// (RX, TX) in DMA memory that vhost's memory table maps, a kick and a call eventfd each, RX
// buffers posted, and the tap up with the kernel's address on it and ours as a permanent
// neighbour (so no ARP runs). The kernel tests that move frames through vhost-net share it;
// the hostile-ring check, which makes a vhost device a ring, shares the tap's addressing.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { VHOST_DEVICE_S_RUNNING, VHOST_DEVICE_S_STOPPED } from '../../generated/vfio_vhost.js';
import { VHOST_VRING } from '../../generated/vhost.js';
import { VIRTIO_RING_F_EVENT_IDX } from '../../generated/virtio_ring.js';
import { featureBit } from '../../runtime/vhost/features.js';
import { DmaPool, type DmaPiece } from '../../runtime/dma-pool.js';
import { LinuxBackend } from '../../runtime/linux/backend.js';
import { openTap } from '../../runtime/linux/tap.js';
import { VhostKernelTransport } from '../../runtime/vhost/kernel-transport.js';
import { SplitQueueDriver } from '../../runtime/virtio/driver-queue.js';
import { allocSplitRing, splitRingBytes, USED } from '../../runtime/virtio/split-layout.js';
import { expect, hex } from './checks.js';

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
 */
export function openVhostTap(linux: LinuxBackend, options: { features: bigint; num: number; bufSize: number; subnet: string; base?: number; signal: (eventfd: number) => void }): VhostTap {
  const { features, num, bufSize, subnet } = options;
  const base = options.base ?? 0;
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
  const drivers = [RX, TX].map((q) => {
    const r = allocSplitRing(num, (size, align) => pool.alloc(size, align));
    // Zeroes the ring (at `base`, its indexes there), before vhost is told of it: vhost reads the used index from it.
    const driver = new SplitQueueDriver<number>(num, r, (features & featureBit(VIRTIO_RING_F_EVENT_IDX)) !== 0n, 'shared', base);
    poisonUsedLengths(r.used.bytes, num); // every used entry vhost writes must land whole, as of QEMU's
    vhost.setVringNum(q, num);
    vhost.setVringBase(q, base);
    vhost.setVringAddr({ index: q, flags: VHOST_VRING.none, desc_user_addr: r.desc.vaddr, avail_user_addr: r.avail.vaddr, used_user_addr: r.used.vaddr, log_guest_addr: 0n });
    kicks[q] = linux.eventfd();
    calls[q] = linux.eventfd();
    vhost.setVringKick(q, kicks[q]);
    vhost.setVringCall(q, calls[q]);
    vhost.setNetBackend(q, tap.fd);
    return driver;
  });
  const kick = (q: number) => options.signal(kicks[q]);
  const rxBufs = Array.from({ length: num }, () => pool.alloc(bufSize));
  const txBufs = Array.from({ length: num }, () => pool.alloc(bufSize));
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
