import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { DEMO_INFO_CAP_MARK, DEMO_INFO_CAP_RANGE, demo_cap_header, demo_info, demo_info_cap_range, demo_info_capabilities } from './expected/capability_chain.js';

const t = suite('golden: a capability chain');
t('IDs map to the struct that carries them; a chain built in bytes walks back', () => {
  assert.is(demo_info_capabilities.info, demo_info);
  assert.is(demo_info_capabilities.byId.get(DEMO_INFO_CAP_RANGE)!.codec, demo_info_cap_range);
  assert.is(demo_info_capabilities.byId.get(DEMO_INFO_CAP_MARK)!.codec, demo_cap_header, 'header-only');
  const buf = new Uint8Array(demo_info.size + demo_info_cap_range.size + demo_cap_header.size);
  const view = new DataView(buf.buffer);
  const rangeAt = demo_info.size;
  const markAt = rangeAt + demo_info_cap_range.size;
  demo_info.encode({ argsz: buf.length, flags: 0, cap_offset: rangeAt, pad: 0 }, view, 0);
  demo_info_cap_range.encode({ header: { id: DEMO_INFO_CAP_RANGE, version: 1, next: markAt }, start: 0x1000n, end: 0x1fffn }, view, rangeAt);
  demo_cap_header.encode({ id: DEMO_INFO_CAP_MARK, version: 1, next: 0 }, view, markAt);
  const seen: string[] = [];
  for (let off = demo_info.decode(view, 0).cap_offset; off !== 0; ) {
    const h = demo_cap_header.decode(view, off);
    const cap = demo_info_capabilities.byId.get(h.id)!;
    seen.push(cap.name);
    if (cap.codec === demo_info_cap_range) assert.is(demo_info_cap_range.decode(view, off).end, 0x1fffn);
    off = h.next;
  }
  assert.equal(seen, ['DEMO_INFO_CAP_RANGE', 'DEMO_INFO_CAP_MARK']);
});
t.run();
