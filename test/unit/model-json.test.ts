// The documented JSON document of `uapigen model --json`.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { writeTree } from '../helpers/model.js';

const doc = suite('model --json');
const CLI = join(process.cwd(), 'dist', 'generator', 'cli.js');

doc('holds constants, records, enums and the semantic parts, with 64-bit values as strings', () => {
  const r = spawnSync(process.execPath, [CLI, 'model', 'linux/vfio.h', '--json', '--abi', 'i386'], { encoding: 'utf8' });
  assert.is(r.status, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.is(j.schema, 'uapigen-model/1');
  assert.is(j.abi, 'i386');
  const c = j.constants.find((x: { name: string }) => x.name === 'VFIO_REGION_TYPE_PCI_VENDOR_TYPE');
  assert.equal({ ...c, doc: undefined }, { name: 'VFIO_REGION_TYPE_PCI_VENDOR_TYPE', kind: 'integer', value: '-2147483648', type: 'int', file: 'linux/vfio.h', line: c.line, doc: undefined });
  const rec = j.records.find((x: { name: string }) => x.name === 'vfio_region_info');
  assert.equal([rec.kind, rec.size, rec.align], ['struct', 32, 4]);
  assert.equal(rec.fields.map((f: { name: string; offset: number }) => `${f.name}@${f.offset}`), ['argsz@0', 'flags@4', 'index@8', 'cap_offset@12', 'size@16', 'offset@24']);
  for (const key of ['enums', 'flagFamilies', 'ioctls', 'capabilities', 'apiStrings', 'indexEnums']) assert.ok(Array.isArray(j[key]) && j[key].length > 0, key);
});

doc('a flag family says how its members encode the field, and what each sets', () => {
  // uapigen's vhost unit reads linux/vhost_types.h; a path that ends in the include name is that header.
  for (const header of ['linux/vhost_types.h', '/usr/include/linux/vhost_types.h']) {
    const r = spawnSync(process.execPath, [CLI, 'model', header, '--json'], { encoding: 'utf8' });
    assert.is(r.status, 0, r.stderr);
    const families = JSON.parse(r.stdout).flagFamilies.map((f: { field: string; encoding: string; members: { name: string; value: string; flag: string; kind: string }[] }) => [f.field, f.encoding, f.members.map((m) => `${m.name}=${m.value}:${m.flag}:${m.kind}`)[0]]);
    assert.equal(families, [
      ['flags', 'bit-numbers', 'VHOST_VRING_F_LOG=0:1:bit'],
      ['perm', 'flags', 'VHOST_ACCESS_RO=1:1:bit'],
      ['type', 'values', 'VHOST_IOTLB_MISS=1:1:value'],
    ], header);
  }
  // The summary says it too, and marks a flag that goes beside the values.
  const text = spawnSync(process.execPath, [CLI, 'model', 'linux/virtio_net.h'], { encoding: 'utf8' });
  assert.is(text.status, 0, text.stderr);
  assert.match(text.stdout, /^ {2}virtio_net_hdr_v1\.gso_type \(values\): NONE=0x0 TCPV4=0x1 UDP=0x3 TCPV6=0x4 \+ECN=0x80$/m);
  assert.match(text.stdout, /^ {2}virtio_net_hdr_v1\.flags: NEEDS_CSUM=0x1 /m);
});

doc('a family bound by a comment names it: namedBy, the field as written and where', () => {
  const r = spawnSync(process.execPath, [CLI, 'model', 'linux/io_uring.h', '--json'], { encoding: 'utf8' });
  assert.is(r.status, 0, r.stderr);
  const f = JSON.parse(r.stdout).flagFamilies.find((x: { record: string; field: string }) => x.record === 'io_uring_cqe' && x.field === 'flags');
  assert.equal([f.source, f.namedBy], ['comment', { ref: 'cqe->flags', file: 'linux/io_uring.h', line: 362 }]);
  const text = spawnSync(process.execPath, [CLI, 'model', 'linux/io_uring.h'], { encoding: 'utf8' });
  assert.match(text.stdout, /^ {2}io_uring_cqe\.flags \(named by cqe->flags\): BUFFER=0x1 /m);
});

doc("a project's overrides reach model, verify and lint through --manifest", () => {
  // A family the header alone does not tie to its field: the #defines sit after the struct.
  const dir = writeTree({
    'uapi/mine.h': '#include <linux/types.h>\nstruct mine { __u32 flags; __u32 n; };\n#define MINE_A (1 << 0)\n#define MINE_B (1 << 1)\n#define MINE_C (1 << 1)\n',
    'uapi/manifest.json': JSON.stringify({ units: [{ name: 'mine', headers: ['./mine.h'], overrides: { flagFamilies: [{ record: 'mine', field: 'flags', prefix: 'MINE_' }] } }] }),
  });
  const families = (...extra: string[]) => {
    const r = spawnSync(process.execPath, [CLI, 'model', 'uapi/mine.h', '--json', ...extra], { cwd: dir, encoding: 'utf8' });
    assert.is(r.status, 0, r.stderr);
    return JSON.parse(r.stdout).flagFamilies.map((f: { record: string; field: string; source: string; members: { name: string }[] }) => `${f.record}.${f.field} ${f.source}: ${f.members.map((m) => m.name).join(' ')}`);
  };
  assert.equal(families(), []);
  assert.equal(families('--manifest', 'uapi/manifest.json'), ['mine.flags override: MINE_A MINE_B MINE_C']);
  // MINE_C takes MINE_B's bit: a finding only where the three are one family.
  const lint = (...extra: string[]) => spawnSync(process.execPath, [CLI, 'lint', 'uapi/mine.h', '--baseline', 'baseline.json', ...extra], { cwd: dir, encoding: 'utf8' });
  assert.is(lint().status, 0);
  const found = lint('--manifest', 'uapi/manifest.json');
  assert.is(found.status, 1);
  assert.match(found.stdout, /LINT_FLAG_OVERLAP MINE_C/);
  const verify = spawnSync(process.execPath, [CLI, 'verify', 'uapi/mine.h', '--manifest', 'uapi/manifest.json'], { cwd: dir, encoding: 'utf8' });
  assert.is(verify.status, 0, verify.stdout + verify.stderr);
  const missing = spawnSync(process.execPath, [CLI, 'model', 'uapi/mine.h', '--manifest', 'nope.json'], { cwd: dir, encoding: 'utf8' });
  assert.is(missing.status, 2);
  assert.match(missing.stderr, /nope\.json:1:1: error\[UG304\]: manifest not found/);
});

doc.run();
