// Where everything is in a split virtqueue, from the generated virtio_ring codecs: the
// descriptor table, the available ring (flags, idx, ring[num], used_event) and the used ring
// (flags, idx, ring[num] of {id, len}, avail_event).
import { u16 } from '../codegen-v1.js';
import { BITS_PER_BYTE } from '../policy.js';
import { vring_avail, vring_desc, vring_used, vring_used_elem, VRING_AVAIL_ALIGN_SIZE, VRING_DESC_ALIGN_SIZE, VRING_USED_ALIGN_SIZE } from '../../generated/virtio_ring.js';

export const DESC = {
  size: vring_desc.size,
  addr: vring_desc.offsetOf('addr'),
  len: vring_desc.offsetOf('len'),
  flags: vring_desc.offsetOf('flags'),
  next: vring_desc.offsetOf('next'),
};

export const AVAIL = {
  flags: vring_avail.offsetOf('flags'),
  idx: vring_avail.offsetOf('idx'),
  ring: vring_avail.offsetOf('ring'),
  entry: u16.size,
};

export const USED = {
  flags: vring_used.offsetOf('flags'),
  idx: vring_used.offsetOf('idx'),
  ring: vring_used.offsetOf('ring'),
  elem: vring_used_elem.size,
  id: vring_used_elem.offsetOf('id'),
  len: vring_used_elem.offsetOf('len'),
};

export const ALIGN = { desc: VRING_DESC_ALIGN_SIZE, avail: VRING_AVAIL_ALIGN_SIZE, used: VRING_USED_ALIGN_SIZE };

/** Bytes of each part for a queue of `num` entries (the event fields included). */
export function splitSizes(num: number): { desc: number; avail: number; used: number } {
  return {
    desc: DESC.size * num,
    avail: AVAIL.ring + AVAIL.entry * num + AVAIL.entry,
    used: USED.ring + USED.elem * num + AVAIL.entry,
  };
}

/** What allocSplitRing needs of a piece of DMA memory: its IOVA and its bytes, and where it is in this process when it is there (a DmaPiece). */
export interface RingPiece {
  iova: bigint;
  bytes: Uint8Array;
  vaddr?: bigint;
}

/**
 * How far past a multiple of an element's size allocSplitRing puts the used ring: there, every
 * used element {id, len} starts on a multiple of its own size, and so never straddles a page.
 * At the alignment virtio asks (4), element k of a ring on an 8-byte boundary straddles one
 * whenever used + 8(k+1) is a page's start. A device that writes an element as one access then
 * crosses into the next page of its IOMMU mapping; QEMU 7.2 (Debian 12's) sends that access's
 * second half to the address's offset in the ring, not to the next page: its own DMAR fault,
 * with the entry's len never written (the kernel test saw it at element 124 of a TX ring).
 * A fix was posted to QEMU in 2024 ("physmem: Fix wrong MR in large
 * address_space_read/write_cached_slow()"); the placement costs nothing and avoids it on any QEMU.
 */
const USED_SKEW = (USED.elem - (USED.ring % USED.elem)) % USED.elem;
const USED_PLACEMENT_ALIGN = Math.max(USED.elem, VRING_USED_ALIGN_SIZE);
if (USED_SKEW % VRING_USED_ALIGN_SIZE !== 0) throw new Error(`split-layout: a used ring ${USED_SKEW} bytes past an ${USED_PLACEMENT_ALIGN}-byte boundary is not aligned as virtio asks (${VRING_USED_ALIGN_SIZE})`);

/** `piece` from `by` bytes on: its IOVA, its address in this process (if it has one) and its bytes moved alike. */
function movedOn<T extends RingPiece>(piece: T, by: number): T {
  const moved: RingPiece = { iova: piece.iova + BigInt(by), bytes: piece.bytes.subarray(by) };
  if (piece.vaddr !== undefined) moved.vaddr = piece.vaddr + BigInt(by);
  return { ...piece, ...moved };
}

/**
 * The three parts of a ring of `num` entries, taken from `alloc` at the alignment virtio
 * requires of each, the used ring where no element straddles a page (USED_SKEW):
 * `allocSplitRing(256, (size, align) => pool.alloc(size, align))` with a DmaPool. A piece is
 * copied with its IOVA, address and bytes moved, so it should be a plain object, as a DmaPiece is.
 */
export function allocSplitRing<T extends RingPiece>(num: number, alloc: (size: number, align: number) => T): { desc: T; avail: T; used: T } {
  const s = splitSizes(num);
  const desc = alloc(s.desc, ALIGN.desc);
  const avail = alloc(s.avail, ALIGN.avail);
  const used = movedOn(alloc(USED_SKEW + s.used, USED_PLACEMENT_ALIGN), USED_SKEW);
  return { desc, avail, used };
}

/** The most bytes allocSplitRing takes from a pool for a ring of `num`, wherever the pool's next free byte is: each part, and what its alignment may skip before it. */
export function splitRingBytes(num: number): number {
  const s = splitSizes(num);
  return s.desc + ALIGN.desc - 1 + s.avail + ALIGN.avail - 1 + USED_SKEW + s.used + USED_PLACEMENT_ALIGN - 1;
}

/** A ring's three parts as a device is told them (SplitQueueDevice, SET_VRING_ADDR): their IOVAs. */
export function ringIovas(r: { desc: { iova: bigint }; avail: { iova: bigint }; used: { iova: bigint } }): { desc: bigint; avail: bigint; used: bigint } {
  return { desc: r.desc.iova, avail: r.avail.iova, used: r.used.iova };
}

/** Offsets of used_event (in avail) and avail_event (in used), the event-idx fields. */
export function eventOffsets(num: number): { usedEvent: number; availEvent: number } {
  return { usedEvent: AVAIL.ring + AVAIL.entry * num, availEvent: USED.ring + USED.elem * num };
}

/** The spec's vring_need_event: has `event` been passed going from `old` to `next` (16-bit)? */
export function needEvent(event: number, next: number, old: number): boolean {
  return ((next - event - 1) & INDEX_MASK) < ((next - old) & INDEX_MASK);
}

/** Ring indexes are free-running 16-bit counters. */
export const INDEX_MASK = (1 << (u16.size * BITS_PER_BYTE)) - 1;

/**
 * How far past its own index a side puts an event field (used_event, avail_event) to say "not
 * now" under event idx, which has no flag for it: half the index space. The other side's index
 * is at most a ring (2^15 entries at most) past this side's, and this side moves the event on
 * as it catches up. Only on a ring of 2^15, filled whole while this side catches up, can the
 * index reach the event first: one spurious notification, which both sides tolerate anyway.
 * (Linux writes 0 there, and takes one each time the index passes 0.)
 */
export const EVENT_NOT_NOW = (INDEX_MASK >>> 1) + 1;
