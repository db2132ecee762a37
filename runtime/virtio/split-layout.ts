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

/**
 * The three parts of a ring of `num` entries, each taken from `alloc` at the alignment virtio
 * requires of it: `allocSplitRing(256, (size, align) => pool.alloc(size, align))` with a DmaPool.
 */
export function allocSplitRing<T>(num: number, alloc: (size: number, align: number) => T): { desc: T; avail: T; used: T } {
  const s = splitSizes(num);
  return { desc: alloc(s.desc, ALIGN.desc), avail: alloc(s.avail, ALIGN.avail), used: alloc(s.used, ALIGN.used) };
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
