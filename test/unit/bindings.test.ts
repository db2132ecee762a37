// The committed bindings in generated/: their numbers equal the (gcc-verified) model's, every
// record codec round-trips, the flags mistake of the RFC does not compile, and generation is
// deterministic and checked.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { scratchDir } from '../../generator/scratch.js';
import { generateAll, diffGenerated, writeGenerated } from '../../generator/generate.js';
import { loadManifest } from '../../generator/manifest.js';
import { scanJson } from '../../generator/json-locate.js';
import { buildModel } from '../../generator/pipeline.js';
import { verifyModel } from '../../generator/verify/verify.js';
import type { RecordCodec } from '../../runtime/codegen-v1.js';

const b = suite('generated bindings');
const ROOT = process.cwd();
const CLI = join(ROOT, 'dist', 'generator', 'cli.js');
const manifest = loadManifest();

async function unitModule(name: string): Promise<Record<string, unknown>> {
  return import(join(ROOT, 'dist', 'generated', `${name}.js`));
}

function isRecordCodec(x: unknown): x is RecordCodec<Record<string, unknown>> {
  return typeof x === 'object' && x !== null && 'fields' in x && 'kind' in x && typeof (x as { decode?: unknown }).decode === 'function';
}

b('every record codec has the size, align and offsets of the model, which gcc verifies', async () => {
  let records = 0;
  for (const unit of manifest.units) {
    const model = buildModel(unit.headerPaths, { abi: 'x86_64', overrides: unit.overrides, displayRoot: manifest.root });
    if (unit.name === 'vfio_vhost') assert.ok(verifyModel(model, unit.headerPaths, []).ok, 'the proposal header verifies against gcc');
    const mod = await unitModule(unit.name);
    for (const r of model.records) {
      const codec = mod[r.name];
      assert.ok(isRecordCodec(codec), `${unit.name}: no codec for ${r.name}`);
      assert.is(codec.size, r.layout.size, `${r.name} size`);
      assert.is(codec.align, r.layout.align, `${r.name} align`);
      for (const f of r.layout.fields) {
        if (!f.member.name) continue;
        const spec = codec.fields[f.member.name];
        assert.ok(spec, `${r.name}.${f.member.name}`);
        if (f.bitWidth === undefined) assert.is(spec.offset, f.offset, `${r.name}.${f.member.name} offset`);
        else assert.is(spec.bitOffset, f.bitOffset, `${r.name}.${f.member.name} bit offset`);
      }
      records++;
    }
  }
  assert.ok(records > 80, `only ${records} records`);
});

b('every record codec round-trips: decode(random bytes) -> encode -> decode is the same value', async () => {
  let seed = 12345;
  const random = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) & 0xff;
  let n = 0;
  for (const unit of manifest.units) {
    const mod = await unitModule(unit.name);
    for (const [name, codec] of Object.entries(mod)) {
      if (!isRecordCodec(codec) || codec.name !== name) continue;
      const counts = Object.fromEntries(Object.entries(codec.fields).filter(([, f]) => f.flexible).map(([k]) => [k, 3]));
      const bytes = Uint8Array.from({ length: codec.size + 4096 }, random);
      const value = codec.decode(new DataView(bytes.buffer), 0, { counts });
      const out = new Uint8Array(codec.size + 4096);
      codec.encode(value, new DataView(out.buffer), 0);
      const again = codec.decode(new DataView(out.buffer), 0, { counts });
      assert.equal(again, value, `${unit.name}.${name}`);
      n++;
    }
  }
  assert.ok(n > 80, `only ${n} codecs`);
});

b('fields typed __be16/__be32 are encoded in network byte order, __le16 and plain __u16 in the host\'s', async () => {
  const inet = await unitModule('inet');
  const ring = await unitModule('virtio_ring');
  const iphdr = inet.iphdr as RecordCodec<Record<string, unknown>>;
  const bytes = iphdr.toBytes({ ...iphdr.zero(), ihl: 5, version: 4, tot_len: 0x1234, saddr: 0x0a000002, daddr: 0x0a000001 });
  // RFC 791: version in the high nibble of byte 0, total length at bytes 2-3, most significant first.
  assert.equal([...bytes.subarray(0, 4)], [0x45, 0, 0x12, 0x34]);
  assert.equal([...bytes.subarray(12, 20)], [10, 0, 0, 2, 10, 0, 0, 1]);
  assert.is(iphdr.fromBytes(bytes).tot_len, 0x1234);
  // saddr/daddr and addrs are one union (__struct_group): zero() holds the first member only,
  // and two members given with different bytes are refused rather than one silently winning.
  assert.is(iphdr.zero().addrs, undefined);
  assert.throws(() => iphdr.toBytes({ ...iphdr.zero(), saddr: 1, addrs: { saddr: 2, daddr: 0 } }), /iphdr: addrs and saddr share bytes and disagree/);
  assert.equal([...iphdr.toBytes({ ...iphdr.zero(), saddr: 7, addrs: { saddr: 7, daddr: 0 } }).subarray(12, 16)], [0, 0, 0, 7]);
  const desc = ring.vring_desc as RecordCodec<Record<string, unknown>>;
  const d = desc.toBytes({ ...desc.zero(), next: 0x1234 });
  assert.equal([...d.subarray(desc.offsetOf('next'), desc.offsetOf('next') + 2)], [0x34, 0x12]);
});

b('flag families decode names and report unknown bits; ioctl tables carry both forms', async () => {
  const vfio = await unitModule('vfio');
  const F = vfio.VFIO_REGION_INFO_FLAG as { decode(v: number): { names: string[]; unknown: number }; encode(n: string[]): number };
  assert.equal(F.decode(0x1 | 0x4 | 0x100), { names: ['READ', 'MMAP'], unknown: 0x100 });
  assert.is(F.encode(['READ', 'WRITE']), 3);
  const ioctls = vfio.vfio_ioctls as Record<string, { request: number; direction: string; declared?: { macro: string; argType?: string }; arg?: unknown }>;
  const gri = ioctls.VFIO_DEVICE_GET_REGION_INFO;
  assert.is(gri.request, 15212);
  assert.is(gri.direction, 'none');
  assert.equal(gri.declared, { macro: '_IOWR', direction: 'read-write', argType: 'struct vfio_region_info' });
  assert.is(gri.arg, vfio.vfio_region_info);
  const chain = vfio.vfio_region_info_capabilities as { byId: Map<number, { name: string; codec: unknown }> };
  assert.is(chain.byId.get(1)!.codec, vfio.vfio_region_info_cap_sparse_mmap);
  assert.is(chain.byId.get(3)!.codec, vfio.vfio_info_cap_header, 'header-only capability');
});

b('the RFC flags mistake is a compile error, and for the right reason', () => {
  const dir = scratchDir('types');
  const src = readFileSync(join(ROOT, 'test', 'types', 'rfc-flags-mistake.ts'), 'utf8')
    .replace(/\/\/ @ts-expect-error.*\n/g, '\n')
    .replace(/'\.\.\/\.\.\/generated\//g, `'${join(ROOT, 'generated')}/`);
  writeFileSync(join(dir, 'rfc.mts'), src);
  const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  const r = spawnSync(process.execPath, [tsc, '--noEmit', '--strict', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', '--skipLibCheck', '--types', 'node', join(dir, 'rfc.mts')], { encoding: 'utf8' });
  assert.is.not(r.status, 0);
  const errors = r.stdout.split('\n').filter((l) => l.includes('rfc.mts('));
  assert.is(errors.length, 3, r.stdout);
  assert.match(errors[0], /Type 'number' is not assignable to type 'Flags<"vfio_device_info\.flags">'/);
  assert.match(errors[2], /'Flags<"vfio_region_info\.flags">' is not assignable to parameter of type 'Flags<"vfio_device_info\.flags">'/);
});

b('generation is deterministic, and generated/ is what the manifest generates', async () => {
  const a = await generateAll();
  const c = await generateAll();
  assert.equal([...a.files], [...c.files]);
  const { stale, diff } = diffGenerated(a);
  assert.equal(stale, [], diff);
});

b('one #define added to a copy of vfio.h changes one hunk of declarations (and the banner\'s hash)', async () => {
  const dir = scratchDir('det');
  mkdirSync(join(dir, 'uapi'));
  copyFileSync('/usr/include/linux/vfio.h', join(dir, 'uapi', 'vfio.h'));
  writeFileSync(join(dir, 'uapi', 'manifest.json'), JSON.stringify({ units: [{ name: 'vfio', headers: ['./vfio.h'] }] }));
  const before = await generateAll({ manifest: join(dir, 'uapi', 'manifest.json') });
  writeGenerated(before);
  // At the end of the header, so no line number above it moves.
  const text = readFileSync(join(dir, 'uapi', 'vfio.h'), 'utf8').replace(/#endif \/\* VFIO_H \*\/\s*$/, "#define VFIO_UAPIGEN_TEST (1 << 4)\n\n#endif /* VFIO_H */\n");
  writeFileSync(join(dir, 'uapi', 'vfio.h'), text);
  const after = await generateAll({ manifest: join(dir, 'uapi', 'manifest.json') });
  const { stale, diff } = diffGenerated(after);
  assert.equal(stale, ['vfio.ts']);
  const hunks = diff.split('\n').filter((l) => l.startsWith('@@'));
  assert.is(hunks.length, 2, diff);
  assert.match(diff, /^-\/\/ Source: uapi\/vfio\.h sha256:/m);
  assert.match(diff, /^\+export const VFIO_UAPIGEN_TEST = 16;$/m);
});

b('uapigen check fails with a diff when a generated file is edited by hand', () => {
  const dir = scratchDir('check');
  let r = spawnSync(process.execPath, [CLI, 'generate', '--out', dir], { encoding: 'utf8' });
  assert.is(r.status, 0, r.stderr);
  const file = join(dir, 'virtio_ids.ts');
  writeFileSync(file, readFileSync(file, 'utf8').replace('export const VIRTIO_ID_NET = 1;', 'export const VIRTIO_ID_NET = 2;'));
  writeFileSync(join(dir, 'mine.ts'), 'export const x = 1;\n');
  r = spawnSync(process.execPath, [CLI, 'check', '--out', dir], { encoding: 'utf8' });
  assert.is(r.status, 1);
  assert.match(r.stdout, /^-export const VIRTIO_ID_NET = 2;$/m);
  assert.match(r.stdout, /^\+export const VIRTIO_ID_NET = 1;$/m);
  assert.match(r.stderr, /virtio_ids\.ts/);
  r = spawnSync(process.execPath, [CLI, 'generate', '--out', dir], { encoding: 'utf8' });
  // One unit file rewritten; every other unit file and index.ts unchanged.
  assert.match(r.stdout, new RegExp(`1 written, ${manifest.units.length} unchanged`));
  assert.match(r.stderr, /left mine\.ts alone/);
  assert.is(readFileSync(join(dir, 'mine.ts'), 'utf8'), 'export const x = 1;\n');
});

b('a malformed manifest names the field, at its line and column', () => {
  const dir = scratchDir('man');
  const doc = { units: [{ name: 'x', headers: ['linux/vfio.h'], overrides: { flagFamilies: [{ record: 'a', field: 'b', prefix: 'P', members: ['Q'] }] } }, { name: 'Bad Name', headers: [] }, { name: 'y', headers: ['linux/vfio.h'], overrides: { flagFamilies: [{ record: 'a', field: 'b', prefix: 'P', encoding: 'bits' }] } }] };
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(doc, null, 2));
  const r = spawnSync(process.execPath, [CLI, 'generate', '--manifest', join(dir, 'manifest.json'), '--out', dir], { encoding: 'utf8' });
  assert.is(r.status, 2);
  // Two-space indentation: the second unit's name is on line 22, its value at column 15.
  assert.match(r.stderr, /manifest\.json:22:15: error\[UG304\]: invalid manifest: units\[1\]\.name: must match pattern/);
  assert.match(r.stderr, /manifest\.json:23:18: error\[UG304\]: invalid manifest: units\[1\]\.headers: must NOT have fewer than 1 items/);
  assert.match(r.stderr, /units\[0\]\.overrides\.flagFamilies\[0\]: must match exactly one schema in oneOf/);
  // An enum names what it takes.
  assert.match(r.stderr, /units\[2\]\.overrides\.flagFamilies\[0\]\.encoding: must be equal to one of the allowed values: "flags", "bit-numbers", "values"/);
});

b('a manifest that is not JSON, or names a header that is not there, is an error at the spot', () => {
  const dir = scratchDir('man-json');
  const run = (text: string) => {
    writeFileSync(join(dir, 'manifest.json'), text);
    return spawnSync(process.execPath, [CLI, 'generate', '--manifest', join(dir, 'manifest.json'), '--out', join(dir, 'out')], { encoding: 'utf8' });
  };
  let r = run('{\n  "units": [\n    { "name": "x", "headers": ["linux/vfio.h"], }\n  ]\n}\n');
  assert.is(r.status, 2);
  assert.match(r.stderr, /manifest\.json:3:49: error\[UG304\]: not valid JSON: expected a property name in double quotes, found '\}'/);
  r = run('{\n  "units": [\n    { "name": "x", "headers": ["linux/vfio.h", "linux/not_there.h"] }\n  ]\n}\n');
  assert.is(r.status, 2);
  assert.match(r.stderr, /manifest\.json:3:48: error\[UG901\]: cannot find header 'linux\/not_there\.h'/);
  assert.not.ok(existsSync(join(dir, 'out')), 'nothing was written');
});

b('flagMembers naming a family no unit binds, a constant the unit lacks, or bit numbers: an error at the spot, nothing written', () => {
  const dir = scratchDir('flag-members');
  writeFileSync(join(dir, 'x.h'), '#define X_FLAG 0x100\n#define X_BIT 3\n');
  const doc = {
    units: [
      { name: 'vfio', headers: ['linux/vfio.h'] },
      { name: 'vhost', headers: ['linux/vhost_types.h'], overrides: { flagFamilies: [{ record: 'vhost_vring_addr', field: 'flags', prefix: 'VHOST_VRING_F_', encoding: 'bit-numbers' }] } },
      {
        name: 'x',
        headers: ['./x.h'],
        overrides: {
          flagMembers: [
            { family: 'vfio_device_info.flag', members: ['X_FLAG'] },
            { family: 'vfio_device_info.flags', members: ['X_FLAGG'] },
            { family: 'vhost_vring_addr.flags', members: ['X_BIT'] },
          ],
        },
      },
    ],
  };
  const text = JSON.stringify(doc, null, 2);
  writeFileSync(join(dir, 'manifest.json'), text);
  const r = spawnSync(process.execPath, [CLI, 'generate', '--manifest', join(dir, 'manifest.json'), '--out', join(dir, 'out')], { encoding: 'utf8' });
  assert.is(r.status, 2, r.stderr);
  const lineOf = (needle: string) => text.split('\n').findIndex((l) => l.includes(needle)) + 1;
  assert.match(r.stderr, new RegExp(`manifest\\.json:${lineOf('"vfio_device_info.flag"')}:\\d+: error\\[UG304\\]: flagMembers: no unit of the manifest binds a flag family to vfio_device_info\\.flag \\(vfio_device_info's families: flags\\)`));
  assert.match(r.stderr, new RegExp(`manifest\\.json:${lineOf('"X_FLAGG"')}:\\d+: error\\[UG304\\]: flagMembers: X_FLAGG is not an integer constant of unit x's headers`));
  assert.match(r.stderr, new RegExp(`manifest\\.json:${lineOf('"vhost_vring_addr.flags"')}:\\d+: error\\[UG304\\]: flagMembers: vhost_vring_addr\\.flags's #defines are bit numbers`));
  assert.not.ok(existsSync(join(dir, 'out')), 'nothing was written');
});

b('the JSON scan that places syntax errors agrees with JSON.parse on every mutation of the manifest', () => {
  const text = readFileSync(join(process.cwd(), 'uapi', 'manifest.json'), 'utf8');
  const pieces = ['', ',', '}', ']', '"', ':', '{', '[', '\\', '1', '-', 'x', 'null', ' ', '\n', '\t', '\u0001', '.5', 'e', '\ufeff'];
  let seed = 7;
  const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2147483648), seed % n);
  let refused = 0;
  for (let k = 0; k < 3000; k++) {
    let t = text;
    for (let m = 0, n = 1 + rnd(3); m < n; m++) {
      const at = rnd(t.length + 1);
      t = t.slice(0, at) + pieces[rnd(pieces.length)] + t.slice(at + rnd(3));
    }
    let parses = true;
    try {
      JSON.parse(t);
    } catch {
      parses = false;
    }
    const found = scanJson(t).error;
    assert.is(found === undefined, parses, `${JSON.stringify(t.slice(0, 200))}: ${found?.message}`);
    if (found) refused++;
  }
  assert.ok(refused > 1000, `only ${refused} of 3000 mutations were bad JSON`);
});

b('generate never writes over a file uapigen did not write, and says so when --out is a file', () => {
  const dir = scratchDir('theirs');
  writeFileSync(join(dir, 'vfio.ts'), 'export const mine = 1;\n');
  let r = spawnSync(process.execPath, [CLI, 'generate', '--out', dir], { encoding: 'utf8' });
  assert.is(r.status, 2, r.stderr);
  assert.match(r.stderr, /error\[UG903\]: .*vfio\.ts: not written by uapigen/);
  assert.is(readFileSync(join(dir, 'vfio.ts'), 'utf8'), 'export const mine = 1;\n');
  assert.not.ok(existsSync(join(dir, 'index.ts')), 'nothing else was written either');
  const file = join(dir, 'vfio.ts');
  for (const command of ['generate', 'check']) {
    r = spawnSync(process.execPath, [CLI, command, '--out', file], { encoding: 'utf8' });
    assert.is(r.status, 2, r.stderr);
    assert.match(r.stderr, /error\[UG903\]: .*vfio\.ts is a file, not a directory/);
  }
});

b("a manifest at a project's top goes to the project's generated/, never to the folder above it", () => {
  const project = scratchDir('project');
  writeFileSync(join(project, 'package.json'), '{ "name": "p", "private": true }\n');
  writeFileSync(join(project, 'manifest.json'), JSON.stringify({ units: [{ name: 'p', headers: ['./p.h'] }] }));
  writeFileSync(join(project, 'p.h'), '#define P_ONE 1\n');
  const r = spawnSync(process.execPath, [CLI, 'generate', '--manifest', 'manifest.json'], { cwd: project, encoding: 'utf8' });
  assert.is(r.status, 0, r.stderr);
  const text = readFileSync(join(project, 'generated', 'p.ts'), 'utf8');
  assert.match(text, /^\/\/ Regenerate with: npx uapigen generate --manifest manifest\.json$/m);
  assert.match(text, /^\/\/ Source: p\.h sha256:/m);
  assert.not.ok(existsSync(join(project, '..', 'generated', 'p.ts')), 'nothing beside the project');
});

b.run();
