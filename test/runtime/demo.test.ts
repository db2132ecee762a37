// `npm start` is the demo a new user runs first: it must run with no hardware and no flags,
// move every frame and block intact, and say so. The demo exits non-zero on any mismatch.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { FRAMES, BLOCK_WRITES, GSO_FRAMES } from '../../runtime/demo/settings.js';

const d = suite('npm start (the demo)');
const DEMO = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'runtime', 'demo', 'main.js');

d('discovers the device, negotiates, moves every frame and block intact, and shows a refused ring reported', () => {
  const r = spawnSync(process.execPath, [DEMO], { encoding: 'utf8', timeout: 120_000 });
  assert.is(r.status, 0, `exit ${r.status}: ${r.stderr}`);
  assert.is(r.stderr, '', 'nothing on stderr');
  assert.match(r.stdout, /vfio-vhost device, API "vfio-vhost"/);
  assert.match(r.stdout, /negotiated: .*VIRTIO_F_VERSION_1/);
  assert.match(r.stdout, new RegExp(`frames sent ${FRAMES}, received ${FRAMES}, corrupt 0: all byte-identical`));
  assert.match(r.stdout, new RegExp(`frames ${GSO_FRAMES} in \\d+ RX buffers \\(num_buffers said how many\\), corrupt 0: all byte-identical`));
  assert.match(r.stdout, /ring errors signalled: 0 \(RX\), 0 \(TX\)/);
  assert.match(r.stdout, /TX offered head (\d+) on a ring of \1: TX error eventfd signalled 1, RX 0; TX stopped at base \d+/);
  assert.match(r.stdout, new RegExp(`writes ${BLOCK_WRITES}, read back ${BLOCK_WRITES}, errors 0: all byte-identical`));
  assert.match(r.stdout, /\d+k requests\/s, \d+ MB\/s/);
});

d.run();
