// Every golden scenario regenerates to its committed expected output (`npm run golden:update`
// rewrites them); the version in the banner is not compared.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateAll } from '../../generator/generate.js';
import { buildModel } from '../../generator/pipeline.js';
import { verifyModel } from '../../generator/verify/verify.js';
import { GOLDEN, scenarios } from '../golden/update.js';

const g = suite('golden scenarios');
const unversioned = (s: string) => s.replace(/uapigen \d+\.\d+\.\d+\S*/g, 'uapigen X');

g('there are the eight scenarios the bindings promise', () => {
  assert.equal(scenarios(), ['bitfield', 'capability_chain', 'flag_encodings', 'flags', 'flexible_array', 'ioctl_declared', 'packed_aligned', 'union_member']);
});

for (const s of scenarios()) {
  g(`${s} regenerates to its expected output`, async () => {
    const out = await generateAll({ manifest: join(GOLDEN, s, 'manifest.json'), outDir: join(GOLDEN, s, 'expected') });
    for (const [name, text] of out.files) {
      const path = join(GOLDEN, s, 'expected', name);
      assert.ok(existsSync(path), `${s}/expected/${name} missing: run npm run golden:update`);
      assert.fixture(unversioned(readFileSync(path, 'utf8')), unversioned(text));
    }
    const input = join(GOLDEN, s, 'input.h');
    for (const abi of ['x86_64', 'i386'] as const) {
      const r = verifyModel(buildModel([input], { abi }), [input], []);
      assert.ok(r.ok, r.text);
    }
  });
}

g.run();
