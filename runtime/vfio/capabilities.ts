// One walker for every capability chain, driven by the generated chain tables. It trusts
// nothing in the buffer: every offset must lie past the info struct and inside the buffer,
// be aligned, and every `next` must move forward past the current header. That last rule is
// also what bounds the walk: each step consumes at least one header, so a chain ends within
// (buffer length / header size) steps whatever the device wrote. A bad chain is a
// CapabilityChainError, never "no capabilities" and never a read past the buffer.
import { CapabilityChain, CodecError } from '../codegen-v1.js';
import { CapabilityChainError } from '../errors.js';

export interface Capability {
  id: number;
  version: number;
  offset: number;
  /** The C name of the ID, when the chain table knows it. */
  name?: string;
  /** The capability decoded by its struct's codec, when the chain table knows the ID. */
  value?: Record<string, unknown>;
}

export function walkCapabilities(buf: Uint8Array, first: number, chain: CapabilityChain): Capability[] {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const header = chain.header;
  const caps: Capability[] = [];
  let offset = first;
  let floor = chain.info.size;
  while (offset !== 0) {
    if (offset < floor) {
      throw caps.length === 0
        ? new CapabilityChainError('offset-before-info', offset, `first capability at ${offset}, inside the ${chain.info.size}-byte info struct`)
        : new CapabilityChainError('loop', offset, `next capability at ${offset} does not move past the one at ${caps[caps.length - 1].offset}`);
    }
    if (offset >= buf.length) throw new CapabilityChainError('offset-past-end', offset, `capability at ${offset}, past the ${buf.length}-byte buffer`);
    if (offset % header.align !== 0) throw new CapabilityChainError('misaligned', offset, `capability at ${offset} is not ${header.align}-byte aligned`);
    if (offset + header.size > buf.length) throw new CapabilityChainError('header-past-end', offset, `header at ${offset} runs past the ${buf.length}-byte buffer`);
    const h = header.decode(view, offset) as { id: number; version: number; next: number };
    const known = chain.byId.get(h.id);
    const cap: Capability = { id: h.id, version: h.version, offset, name: known?.name };
    if (known) {
      if (offset + known.codec.size > buf.length) throw new CapabilityChainError('body-past-end', offset, `${known.name} at ${offset} needs ${known.codec.size} bytes, ${buf.length - offset} left`);
      try {
        cap.value = known.codec.decode(view, offset) as Record<string, unknown>;
      } catch (e) {
        if (e instanceof CodecError) throw new CapabilityChainError('body-past-end', offset, `${known.name} at ${offset}: ${e.message}`);
        throw e;
      }
    }
    caps.push(cap);
    floor = offset + header.size;
    offset = h.next;
  }
  return caps;
}
