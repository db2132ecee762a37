// The codec primitives refuse an integer their field cannot hold, where DataView would keep its
// low bits (2^32 + 5 as 5, 1.5 as 1, NaN as 0, -1 as all ones) and the kernel would get another
// number than the one given. A record's error names the field, and a record inside it adds its own.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { s32, s64, s8, u16be, u32, u64, u8, type Codec } from '../../runtime/codegen-v1.js';
import { vfio_region_info, vfio_region_info_cap_sparse_mmap } from '../../generated/vfio.js';
import { demo_bits } from '../golden/bitfield/expected/bitfield.js';

const c = suite('codec ranges');

function encode<T>(codec: Codec<T>, value: T): number[] {
  const view = new DataView(new ArrayBuffer(codec.size));
  codec.encode(value, view, 0);
  return [...new Uint8Array(view.buffer)];
}

c('each integer codec takes its whole range and refuses what lies outside it', () => {
  const cases: [string, Codec<never>, unknown[], unknown[]][] = [
    ['u8', u8 as Codec<never>, [0, 255], [256, -1, 1.5, NaN]],
    ['s8', s8 as Codec<never>, [-128, 127], [128, -129]],
    ['u32', u32 as Codec<never>, [0, 2 ** 32 - 1], [2 ** 32, 2 ** 32 + 5, -1, 0.5, NaN, Infinity]],
    ['s32', s32 as Codec<never>, [-(2 ** 31), 2 ** 31 - 1], [2 ** 31, 2 ** 32 - 1]],
    ['u16be', u16be as Codec<never>, [0, 65535], [65536, -1]],
    ['u64', u64 as Codec<never>, [0n, 2n ** 64n - 1n], [2n ** 64n, -1n]],
    ['s64', s64 as Codec<never>, [-(2n ** 63n), 2n ** 63n - 1n], [2n ** 63n]],
  ];
  for (const [what, codec, fit, misfit] of cases) {
    for (const v of fit) encode(codec, v as never);
    for (const v of misfit) assert.throws(() => encode(codec, v as never), (e: unknown) => e instanceof RangeError && e.message === `${what}: ${String(v)} does not fit`, `${what} ${String(v)}`);
  }
  assert.equal(encode(u32, 2 ** 32 - 1), [0xff, 0xff, 0xff, 0xff]);
  assert.equal(encode(s32, -1), [0xff, 0xff, 0xff, 0xff]);
});

c("a record's error names its field, and a record within it adds its own", () => {
  const info = { argsz: 32, flags: 0 as never, index: 0, cap_offset: 0, size: 0n, offset: 0n };
  assert.is(vfio_region_info.toBytes(info).length, 32);
  assert.throws(() => vfio_region_info.toBytes({ ...info, index: 2 ** 32 }), /^vfio_region_info\.index: u32: 4294967296 does not fit$/);
  assert.throws(() => vfio_region_info.toBytes({ ...info, size: -1n }), /^vfio_region_info\.size: u64: -1 does not fit$/);
  const sparse = { header: { id: 1, version: 1, next: 0 }, nr_areas: 1, reserved: 0, areas: [{ offset: 0n, size: 4096n }] };
  assert.is(vfio_region_info_cap_sparse_mmap.toBytes(sparse).length, 32);
  assert.throws(
    () => vfio_region_info_cap_sparse_mmap.toBytes({ ...sparse, areas: [{ offset: -4096n, size: 4096n }] }),
    /^vfio_region_info_cap_sparse_mmap\.areas: vfio_region_sparse_mmap_area\.offset: u64: -4096 does not fit$/,
  );
});

c('a bit-field takes what its bits hold, signed or not, and refuses the rest', () => {
  const bits = { version: 4, ihl: 5, frag: 0x1abc, level: -2, rest: 7 };
  demo_bits.toBytes({ ...bits, version: 15, level: -4 });
  demo_bits.toBytes({ ...bits, level: 3 });
  assert.throws(() => demo_bits.toBytes({ ...bits, version: 16 }), /^demo_bits\.version: 16 does not fit 4 unsigned bits$/);
  assert.throws(() => demo_bits.toBytes({ ...bits, version: -1 }), /^demo_bits\.version: -1 does not fit 4 unsigned bits$/);
  assert.throws(() => demo_bits.toBytes({ ...bits, level: 4 }), /^demo_bits\.level: 4 does not fit 3 signed bits$/);
  assert.throws(() => demo_bits.toBytes({ ...bits, level: -5 }), /^demo_bits\.level: -5 does not fit 3 signed bits$/);
});

c.run();
