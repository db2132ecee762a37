// Writes a capability chain after an info struct, as the kernel's vfio_info_cap_add does:
// each capability 8-byte aligned, `next` pointing at the following one, 0 ending it.
import { RecordCodec, u64 } from '../codegen-v1.js';

export interface CapBody {
  id: number;
  version: number;
  codec: RecordCodec<any>;
  /** The capability's value without its header; the header is filled in here. */
  value: Record<string, unknown>;
  /** For a flexible tail: the byte length of the whole capability. */
  length?: number;
}

/** vfio_info_cap_add aligns each capability to sizeof(u64). */
const ALIGN = u64.size;
const roundUp = (n: number) => Math.ceil(n / ALIGN) * ALIGN;

/**
 * The chain laid out after an info struct of `start` bytes: where it begins (the info's
 * cap_offset), its bytes from there, and the argsz the whole answer needs.
 */
export function buildChain(start: number, caps: CapBody[]): { offset: number; bytes: Uint8Array; required: number } {
  const first = roundUp(start);
  const offsets: number[] = [];
  let end = first;
  for (const c of caps) {
    offsets.push(end);
    end = roundUp(end + (c.length ?? c.codec.size));
  }
  const bytes = new Uint8Array(end);
  const view = new DataView(bytes.buffer);
  caps.forEach((c, k) => {
    const next = k + 1 < caps.length ? offsets[k + 1] : 0;
    c.codec.encode({ ...c.value, header: { id: c.id, version: c.version, next } }, view, offsets[k]);
  });
  return { offset: first, bytes: bytes.subarray(first), required: end };
}
