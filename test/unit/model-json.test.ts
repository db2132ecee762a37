// The documented JSON document of `uapigen model --json`.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

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

doc.run();
