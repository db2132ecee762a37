// The capability chain walker against every class of malformed chain, and a fuzz run.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { vfio_info_cap_header, vfio_region_info, vfio_region_info_capabilities, VFIO_REGION_INFO_CAP_SPARSE_MMAP, VFIO_REGION_INFO_CAP_TYPE, vfio_region_info_cap_type, vfio_region_info_cap_sparse_mmap } from '../../generated/vfio.js';
import { walkCapabilities } from '../../runtime/vfio/capabilities.js';
import { CapabilityChainError, ChainFault } from '../../runtime/errors.js';

const c = suite('capability chain walker');
const INFO = vfio_region_info.size;
const HDR = vfio_info_cap_header.size;

/** A buffer with capability headers written at the given offsets. */
function chain(length: number, caps: { at: number; id: number; next: number }[], extra?: (view: DataView) => void): Uint8Array {
  const buf = new Uint8Array(length);
  const view = new DataView(buf.buffer);
  for (const x of caps) vfio_info_cap_header.encode({ id: x.id, version: 1, next: x.next }, view, x.at);
  extra?.(view);
  return buf;
}

const fault = (buf: Uint8Array, first: number): ChainFault => {
  try {
    walkCapabilities(buf, first, vfio_region_info_capabilities);
  } catch (e) {
    if (e instanceof CapabilityChainError) return e.fault;
    throw e;
  }
  throw new Error('the walk succeeded');
};

c('a well-formed chain decodes each capability by its struct', () => {
  const typeAt = INFO;
  const sparseAt = typeAt + vfio_region_info_cap_type.size;
  const buf = chain(sparseAt + vfio_region_info_cap_sparse_mmap.size + 16, [], (v) => {
    vfio_region_info_cap_type.encode({ header: { id: VFIO_REGION_INFO_CAP_TYPE, version: 1, next: sparseAt }, type: 4, subtype: 2 }, v, typeAt);
    vfio_region_info_cap_sparse_mmap.encode({ header: { id: VFIO_REGION_INFO_CAP_SPARSE_MMAP, version: 1, next: 0 }, nr_areas: 1, reserved: 0, areas: [{ offset: 0n, size: 4096n }] }, v, sparseAt);
  });
  const caps = walkCapabilities(buf, typeAt, vfio_region_info_capabilities);
  assert.equal(caps.map((x) => x.name), ['VFIO_REGION_INFO_CAP_TYPE', 'VFIO_REGION_INFO_CAP_SPARSE_MMAP']);
  assert.equal(caps[0].value, { header: { id: VFIO_REGION_INFO_CAP_TYPE, version: 1, next: sparseAt }, type: 4, subtype: 2 });
  assert.equal((caps[1].value as { areas: unknown[] }).areas, [{ offset: 0n, size: 4096n }]);
});

c('an unknown ID is kept with its header, not dropped', () => {
  const caps = walkCapabilities(chain(INFO + HDR, [{ at: INFO, id: 999, next: 0 }]), INFO, vfio_region_info_capabilities);
  assert.equal(caps.map((x) => [x.id, x.name, x.value]), [[999, undefined, undefined]]);
});

c('first offset inside the info struct', () => assert.is(fault(chain(64, [{ at: 8, id: 1, next: 0 }]), 8), 'offset-before-info'));
c('offset past the buffer', () => assert.is(fault(chain(64, []), 200), 'offset-past-end'));
c('misaligned offset', () => assert.is(fault(chain(64, []), INFO + 2), 'misaligned'));
c('header running past the end', () => assert.is(fault(chain(INFO + 4, []), INFO), 'header-past-end'));
c('body running past the end', () => assert.is(fault(chain(INFO + HDR, [{ at: INFO, id: VFIO_REGION_INFO_CAP_TYPE, next: 0 }]), INFO), 'body-past-end'));
c('a flexible tail longer than the buffer', () => {
  const buf = chain(INFO + vfio_region_info_cap_sparse_mmap.size, [], (v) =>
    vfio_region_info_cap_sparse_mmap.encode({ header: { id: VFIO_REGION_INFO_CAP_SPARSE_MMAP, version: 1, next: 0 }, nr_areas: 0xffffffff, reserved: 0, areas: [] }, v, INFO));
  assert.is(fault(buf, INFO), 'body-past-end');
});
c('a next pointing at itself', () => assert.is(fault(chain(64, [{ at: INFO, id: 99, next: INFO }]), INFO), 'loop'));
c('a next pointing backwards', () => assert.is(fault(chain(80, [{ at: INFO, id: 99, next: INFO + 16 }, { at: INFO + 16, id: 98, next: INFO }]), INFO), 'loop'));
c('a next pointing inside the current header', () => assert.is(fault(chain(80, [{ at: INFO, id: 99, next: INFO + 4 }]), INFO), 'loop'));

c('fuzz: 100,000 random buffers end in capabilities or a CapabilityChainError, in bounded steps', () => {
  let seed = 0x9e3779b9;
  const random = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const counts = { ok: 0, faults: 0 };
  let maxCaps = 0;
  for (let k = 0; k < 100_000; k++) {
    const length = INFO + Math.floor(random() * 96);
    const buf = new Uint8Array(length);
    for (let i = 0; i < length; i++) buf[i] = Math.floor(random() * 256);
    // Bias toward plausible chains: small IDs, offsets near the info struct.
    const view = new DataView(buf.buffer);
    for (let at = INFO; at + HDR <= length; at += HDR) {
      if (random() < 0.5) view.setUint16(at, 1 + Math.floor(random() * 4), true);
      if (random() < 0.5) view.setUint32(at + 4, random() < 0.3 ? 0 : INFO + Math.floor(random() * 12) * 4, true);
    }
    const first = random() < 0.8 ? INFO + Math.floor(random() * 8) * 4 : Math.floor(random() * 200);
    try {
      maxCaps = Math.max(maxCaps, walkCapabilities(buf, first, vfio_region_info_capabilities).length);
      counts.ok++;
    } catch (e) {
      if (!(e instanceof CapabilityChainError)) throw new Error(`case ${k}: ${String(e)}`);
      counts.faults++;
    }
  }
  assert.is(counts.ok + counts.faults, 100_000);
  assert.ok(counts.ok > 1000 && counts.faults > 1000, JSON.stringify(counts));
  assert.ok(maxCaps <= Math.floor(128 / HDR), `a walk of ${maxCaps} capabilities`);
  console.log(`  chain fuzz: 100000 buffers, ${counts.ok} walked, ${counts.faults} refused, longest chain ${maxCaps}`);
});

c.run();
