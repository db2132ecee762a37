// Hostile split rings as bytes: each case writes what a driver gets wrong into a ring's
// descriptor table and available ring, for a device to find when it is kicked. The unit tests
// hand them to SplitQueueDevice; the kernel test (test/kernel/inside.ts) writes the same bytes
// for QEMU's virtio-net device and ours, and sets the two verdicts side by side.
//
// Every descriptor starts as a good one-buffer frame, so what a case changes is the only thing
// wrong: a device that read past the fault would find a frame it can send, not a second fault.
// The frame is a real one (a UDP datagram the harness can receive), so what a device sent of a
// good ring is compared byte for byte, not by its length alone.
import { ethhdr, iphdr, udphdr } from '../../generated/inet.js';
import { virtio_net_hdr_mrg_rxbuf } from '../../generated/virtio_net.js';
import { VRING_DESC_F_INDIRECT, VRING_DESC_F_NEXT, VRING_DESC_F_WRITE } from '../../generated/virtio_ring.js';
import type { Chain, RingFault } from '../../runtime/virtio/device-queue.js';
import { AVAIL, DESC } from '../../runtime/virtio/split-layout.js';
import { buildUdpFrame, ipv4, mac, type UdpFrame } from './frames.js';

/** A ring in some memory, and what the cases need to know of its IOMMU. */
export interface RingBytes {
  /** The memory the rings and buffers are in. */
  dv: DataView;
  /** Where in `dv` the bytes of an IOVA are. */
  at(iova: bigint): number;
  num: number;
  desc: bigint;
  avail: bigint;
  /** Two mapped pages, zeroed but for `frame` at the start of the first: buffers in the first, indirect tables in the second. */
  data: bigint;
  /** The FRAME_BYTES of a good buffer (goodFrame): goodRing writes them at `data`. */
  frame: Uint8Array;
  /** An IOVA that no mapping covers. */
  unmapped: bigint;
  /**
   * Where two mappings of a page each meet: before it, the second page of `data` mapped again;
   * from it, the first. A buffer across it is the end of the second page, then the start of the
   * first: a device that took the IOVAs' meeting for memory's would read past the second page.
   */
  meeting: bigint;
}

/**
 * The bytes of each buffer: enough for any virtio-net header and an Ethernet header, so a
 * frame device has nothing of its own to refuse in a good chain.
 */
export const FRAME_BYTES = 64;
/** The virtio-net header before each frame under VIRTIO_F_VERSION_1; zeroed, it asks no offload. */
export const NET_HEADER = virtio_net_hdr_mrg_rxbuf.size;
const PAGE = 4096;
/** What is left of a good buffer for the datagram's payload: 10 bytes. */
const PAYLOAD = FRAME_BYTES - NET_HEADER - ethhdr.size - iphdr.size - udphdr.size;

/**
 * A good buffer's bytes: a zeroed virtio-net header, then a UDP datagram between the addresses
 * given, its payload a pattern. A harness that can receive the datagram sees whether a device
 * sent the bytes the chain holds; its checksums cover all but the Ethernet header.
 */
export function goodFrame(addresses: Omit<UdpFrame, 'payload'>): Uint8Array {
  const out = new Uint8Array(FRAME_BYTES);
  out.set(buildUdpFrame({ ...addresses, payload: Uint8Array.from({ length: PAYLOAD }, (_, i) => 0xa0 + i) }), NET_HEADER);
  return out;
}

/** A good buffer for a harness that receives nothing of what a device sends: the unit tests'. */
export const UNSENT_FRAME = goodFrame({ dstMac: mac('02:00:00:00:00:01'), srcMac: mac('02:00:00:00:00:02'), src: ipv4('10.9.9.2'), dst: ipv4('10.9.9.1'), sport: 4789, dport: 9 });

/** The readable bytes of a popped chain, in order (a copy). */
export function chainBytes(chain: Chain): Uint8Array {
  return new Uint8Array(Buffer.concat(chain.readable));
}

export function writeDesc(r: RingBytes, table: bigint, i: number, addr: bigint, len: number, flags: number, next = 0): void {
  const at = r.at(table) + i * DESC.size;
  r.dv.setBigUint64(at + DESC.addr, addr, true);
  r.dv.setUint32(at + DESC.len, len, true);
  r.dv.setUint16(at + DESC.flags, flags, true);
  r.dv.setUint16(at + DESC.next, next, true);
}

/** `heads` onto the available ring from slot 0, and the avail index set to `idx`. */
export function offer(r: RingBytes, heads: number[], idx = heads.length): void {
  const ring = r.at(r.avail) + AVAIL.ring;
  heads.forEach((h, k) => r.dv.setUint16(ring + AVAIL.entry * k, h, true));
  r.dv.setUint16(r.at(r.avail) + AVAIL.idx, idx, true);
}

/** Every descriptor a good readable frame, every avail slot head 0, nothing offered yet. */
export function goodRing(r: RingBytes): void {
  new Uint8Array(r.dv.buffer, r.dv.byteOffset + r.at(r.data), FRAME_BYTES).set(r.frame);
  for (let i = 0; i < r.num; i++) writeDesc(r, r.desc, i, r.data, FRAME_BYTES, 0);
  offer(r, new Array<number>(r.num).fill(0), 0);
}

export interface RingCase {
  name: string;
  /** The fault SplitQueueDevice must break with, or undefined for a good ring it must take. */
  fault: RingFault | undefined;
  /** For a ring a device must take: the bytes its one chain holds for the device to read, in order. */
  reads?: (r: RingBytes) => Uint8Array;
  /**
   * The fault shows only to a device that still holds the first chain when it pops the second;
   * one that pushes each chain before it pops the next takes both.
   */
  seenWhileHeld?: true;
  /** Writes the case over goodRing's bytes and offers it. */
  build(r: RingBytes): void;
}

const table = (r: RingBytes) => r.data + BigInt(PAGE);

/** Good rings: what every device must take, the check that a harness is not refusing everything. */
export const GOOD_RINGS: readonly RingCase[] = [
  { name: 'one direct frame', fault: undefined, reads: (r) => r.frame, build: (r) => offer(r, [0]) },
  {
    name: 'one frame through an indirect table',
    fault: undefined,
    reads: (r) => r.frame,
    build: (r) => {
      writeDesc(r, r.desc, 0, table(r), DESC.size, VRING_DESC_F_INDIRECT);
      writeDesc(r, table(r), 0, r.data, FRAME_BYTES, 0);
      offer(r, [0]);
    },
  },
  {
    // Virtio 2.7.5.3.2: a device MUST take normal chained descriptors followed by one INDIRECT.
    name: 'a direct buffer, then an indirect table',
    fault: undefined,
    // The frame, then the zeros after it.
    reads: (r) => Uint8Array.from({ length: 2 * FRAME_BYTES }, (_, i) => r.frame[i] ?? 0),
    build: (r) => {
      writeDesc(r, r.desc, 0, r.data, FRAME_BYTES, VRING_DESC_F_NEXT, 1);
      writeDesc(r, r.desc, 1, table(r), DESC.size, VRING_DESC_F_INDIRECT);
      writeDesc(r, table(r), 0, r.data + BigInt(FRAME_BYTES), FRAME_BYTES, 0);
      offer(r, [0]);
    },
  },
  {
    // vhost and QEMU split a buffer across mappings into iovecs; SplitQueueDevice takes it in pieces.
    name: 'a frame across two IOMMU mappings that meet',
    fault: undefined,
    reads: (r) => r.frame,
    build: (r) => {
      // Its first half ends the second data page and its second half starts the first, where
      // the two mappings put them: the second half lies a page before the first in memory.
      const half = FRAME_BYTES / 2;
      const bytes = (iova: bigint) => new Uint8Array(r.dv.buffer, r.dv.byteOffset + r.at(iova), half);
      bytes(r.data + BigInt(2 * PAGE - half)).set(r.frame.subarray(0, half));
      bytes(r.data).set(r.frame.subarray(half));
      writeDesc(r, r.desc, 0, r.meeting - BigInt(half), FRAME_BYTES, 0);
      offer(r, [0]);
    },
  },
];

/**
 * The classes of hostile ring that one kick shows. Two classes need more than bytes and are
 * tested where they can be (test/runtime/virtqueue.test.ts): chains of 4 GiB or more need 4 GiB
 * of mapped buffers, and chains re-offered while in flight need the device to hold them.
 */
export const HOSTILE_RINGS: readonly RingCase[] = [
  { name: 'avail index moved past the ring', fault: 'avail-index-jump', build: (r) => offer(r, new Array<number>(r.num).fill(0), r.num + 1) },
  { name: 'head out of range', fault: 'head-out-of-range', build: (r) => offer(r, [r.num]) },
  // Each offer is good alone; the second comes before the device has used the first.
  { name: 'a head offered twice before it was used', fault: 'head-in-flight', seenWhileHeld: true, build: (r) => offer(r, [0, 0]) },
  {
    name: 'next out of range',
    fault: 'next-out-of-range',
    build: (r) => {
      writeDesc(r, r.desc, 0, r.data, FRAME_BYTES, VRING_DESC_F_NEXT, r.num);
      offer(r, [0]);
    },
  },
  {
    name: 'a loop',
    fault: 'chain-loop',
    build: (r) => {
      writeDesc(r, r.desc, 0, r.data, FRAME_BYTES, VRING_DESC_F_NEXT, 1);
      writeDesc(r, r.desc, 1, r.data, FRAME_BYTES, VRING_DESC_F_NEXT, 0);
      offer(r, [0]);
    },
  },
  {
    name: 'indirect table of 17 bytes',
    fault: 'indirect-bad-length',
    build: (r) => {
      writeDesc(r, r.desc, 0, table(r), DESC.size + 1, VRING_DESC_F_INDIRECT);
      writeDesc(r, table(r), 0, r.data, FRAME_BYTES, 0);
      offer(r, [0]);
    },
  },
  {
    name: 'indirect table of 0 bytes',
    fault: 'indirect-bad-length',
    build: (r) => {
      writeDesc(r, r.desc, 0, table(r), 0, VRING_DESC_F_INDIRECT);
      offer(r, [0]);
    },
  },
  {
    name: 'indirect inside an indirect table',
    fault: 'indirect-nested',
    build: (r) => {
      writeDesc(r, r.desc, 0, table(r), 2 * DESC.size, VRING_DESC_F_INDIRECT);
      writeDesc(r, table(r), 0, table(r) + BigInt(2 * DESC.size), DESC.size, VRING_DESC_F_INDIRECT);
      writeDesc(r, table(r), 2, r.data, FRAME_BYTES, 0);
      offer(r, [0]);
    },
  },
  {
    name: 'INDIRECT together with NEXT',
    fault: 'indirect-with-next',
    build: (r) => {
      writeDesc(r, r.desc, 0, table(r), DESC.size, VRING_DESC_F_INDIRECT | VRING_DESC_F_NEXT, 1);
      writeDesc(r, table(r), 0, r.data, FRAME_BYTES, 0);
      offer(r, [0]);
    },
  },
  {
    name: 'an indirect chain beyond its table',
    fault: 'next-out-of-range',
    build: (r) => {
      writeDesc(r, r.desc, 0, table(r), 2 * DESC.size, VRING_DESC_F_INDIRECT);
      writeDesc(r, table(r), 0, r.data, FRAME_BYTES, VRING_DESC_F_NEXT, 5);
      writeDesc(r, table(r), 1, r.data, FRAME_BYTES, 0);
      offer(r, [0]);
    },
  },
  {
    name: 'readable after writable',
    fault: 'readable-after-writable',
    build: (r) => {
      writeDesc(r, r.desc, 0, r.data, FRAME_BYTES, VRING_DESC_F_NEXT, 1);
      writeDesc(r, r.desc, 1, r.data + BigInt(FRAME_BYTES), FRAME_BYTES, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 2);
      writeDesc(r, r.desc, 2, r.data + BigInt(2 * FRAME_BYTES), FRAME_BYTES, 0);
      offer(r, [0]);
    },
  },
  {
    name: 'address + length past 2^64',
    fault: 'address-overflow',
    build: (r) => {
      writeDesc(r, r.desc, 0, (1n << 64n) - 8n, FRAME_BYTES, 0);
      offer(r, [0]);
    },
  },
  {
    name: 'a buffer nothing maps',
    fault: 'unmapped',
    build: (r) => {
      writeDesc(r, r.desc, 0, r.unmapped, FRAME_BYTES, 0);
      offer(r, [0]);
    },
  },
  {
    name: 'an indirect table nothing maps',
    fault: 'unmapped',
    build: (r) => {
      writeDesc(r, r.desc, 0, r.unmapped, DESC.size, VRING_DESC_F_INDIRECT);
      offer(r, [0]);
    },
  },
];

/**
 * Rings the virtio spec does not forbid and devices answer differently: SplitQueueDevice takes
 * them (`fault` undefined); the kernel test shows what QEMU does with the same bytes.
 */
export const EDGE_RINGS: readonly RingCase[] = [
  {
    name: 'a zero-length buffer in a chain',
    fault: undefined,
    reads: (r) => r.frame,
    build: (r) => {
      writeDesc(r, r.desc, 0, r.data, 0, VRING_DESC_F_NEXT, 1);
      offer(r, [0]);
    },
  },
];
