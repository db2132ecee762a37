// Scatter-gather copies between a chain's buffers and plain bytes.

/** Copies up to `length` bytes from the buffers, skipping the first `skip`, into `out`; returns the count. */
export function gather(buffers: Uint8Array[], skip: number, out: Uint8Array, length = out.length): number {
  let copied = 0;
  for (const b of buffers) {
    if (copied >= length) break;
    if (skip >= b.length) {
      skip -= b.length;
      continue;
    }
    const n = Math.min(b.length - skip, length - copied);
    out.set(b.subarray(skip, skip + n), copied);
    copied += n;
    skip = 0;
  }
  return copied;
}

/** Copies `data` into the buffers from byte `skip` on; returns how much fitted. */
export function scatter(buffers: Uint8Array[], skip: number, data: Uint8Array): number {
  let copied = 0;
  for (const b of buffers) {
    if (copied >= data.length) break;
    if (skip >= b.length) {
      skip -= b.length;
      continue;
    }
    const n = Math.min(b.length - skip, data.length - copied);
    b.set(data.subarray(copied, copied + n), skip);
    copied += n;
    skip = 0;
  }
  return copied;
}

export function totalLength(buffers: Uint8Array[]): number {
  let n = 0;
  for (const b of buffers) n += b.length;
  return n;
}
