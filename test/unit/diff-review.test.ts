// The review of the seed's RFC, the absence of false findings, and the reports.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { scratchDir } from '../../generator/scratch.js';
import { writeTree } from '../helpers/model.js';

const r = suite('diff review');
const CLI = join(process.cwd(), 'dist', 'generator', 'cli.js');
const SEED = join(process.cwd(), '..', 'shared', 'seeds', '000_4f611f6a2e78219a.txt');
const uapigen = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });

r('the seed RFC applied to 6.1 vfio.h: the FSL_MC collision is breaking, the additions compatible, exit 1', () => {
  assert.ok(existsSync(SEED), 'the seed is in ../shared/seeds');
  const res = uapigen('diff', '--base', 'linux/vfio.h', '--patch', SEED, '--format', 'json', '--fail-on', 'breaking');
  assert.is(res.status, 1, res.stderr);
  const j = JSON.parse(res.stdout);
  const by = (code: string) => j.findings.filter((f: { code: string }) => f.code === code);
  const collision = by('FLAG_BIT_COLLISION');
  assert.is(collision.length, 1);
  assert.is(collision[0].subject, 'VFIO_DEVICE_FLAGS_VHOST');
  assert.is(collision[0].severity, 'breaking');
  assert.match(collision[0].message, /VFIO_DEVICE_FLAGS_FSL_MC = 0x40/);
  assert.equal(collision[0].abis, ['x86_64', 'i386']);
  assert.is(by('API_STRING_ADDED')[0].subject, 'VFIO_DEVICE_API_VHOST_STRING');
  assert.is(by('API_STRING_ADDED')[0].severity, 'compatible');
  assert.equal(by('ENUM_ADDED').map((f: { subject: string }) => f.subject), ['VFIO_VHOST_REGION_INDEX', 'VFIO_VHOST_IRQ_INDEX']);
  assert.is(j.counts.breaking, 1);
  assert.equal(j.notes.length, 3, 'one placement note per hunk');
  assert.is(uapigen('diff', '--base', 'linux/vfio.h', '--patch', SEED, '--fail-on', 'never').status, 0);
});

r('a review leaves nothing behind in the temporary directory: the patched header and the empty one are removed at exit', () => {
  const tmp = scratchDir('tmpdir');
  const inTmp = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, TMPDIR: tmp } });
  const dir = writeTree({ 'a/linux/x.h': '#define X 1\n', 'b/linux/x.h': '#define X 1\n', 'b/linux/y.h': '#define Y 1\n' });
  assert.is(inTmp('diff', '--base', 'linux/vfio.h', '--patch', SEED, '--fail-on', 'never').status, 0);
  // A header only on one side is compared with an empty one, written to a scratch directory.
  assert.is(inTmp('diff', join(dir, 'a'), join(dir, 'b'), '--fail-on', 'never').status, 0);
  assert.equal(readdirSync(tmp), []);
});

r('a hunk that cannot be placed is an error naming the hunk and the patch line', () => {
  const dir = writeTree({ 'bad.patch': '--- a/t.h\n+++ b/t.h\n@@ -10,3 +10,4 @@\n nothing\n like\n+this\n here\n', 't.h': '#define A 1\n' });
  const res = uapigen('diff', '--base', join(dir, 't.h'), '--patch', join(dir, 'bad.patch'));
  assert.is(res.status, 2);
  assert.match(res.stderr, /bad\.patch:3:1: error\[UG501\]: hunk @@ -10,3 \+10,4 @@ cannot be placed in .*t\.h/);
});

r('no findings when NEW equals OLD, or differs only in comments, white space and spelling of values', () => {
  const dir = scratchDir('same');
  mkdirSync(join(dir, 'a', 'linux'), { recursive: true });
  mkdirSync(join(dir, 'b', 'linux'), { recursive: true });
  for (const h of ['vfio.h', 'vhost.h', 'virtio_net.h']) {
    copyFileSync(`/usr/include/linux/${h}`, join(dir, 'a', 'linux', h));
    const text = readFileSync(`/usr/include/linux/${h}`, 'utf8')
      .replace(/\/\*[\s\S]*?\*\//g, (c) => c.replace(/[^\n]/g, ' ')) // comments blanked, lines kept
      .replace(/\t/g, '    ');
    writeFileSync(join(dir, 'b', 'linux', h), text);
  }
  // And the same values spelled differently.
  writeFileSync(join(dir, 'a', 'linux', 'spell.h'), '#define F1 (1 << 3)\n#define F2 0x10\n#define F3 (F1 | F2)\nstruct s { unsigned int a; unsigned long long b; };\n');
  writeFileSync(join(dir, 'b', 'linux', 'spell.h'), '#define F1 8\n#define F2 (1 << 4)\n#define F3 24\nstruct s { unsigned a; unsigned long long int b; };\n');
  const res = uapigen('diff', join(dir, 'a'), join(dir, 'b'), '--format', 'json', '--fail-on', 'any');
  assert.is(res.status, 0, res.stdout);
  assert.equal(JSON.parse(res.stdout).findings, []);
});

r('text and markdown reports; bad options exit 2', () => {
  const text = uapigen('diff', '--base', 'linux/vfio.h', '--patch', SEED);
  assert.match(text.stdout, /^linux\/vfio\.h:\d+: breaking\[FLAG_BIT_COLLISION\] VFIO_DEVICE_FLAGS_VHOST = 0x40/m);
  assert.match(text.stdout, /^1 breaking, 3 compatible, 0 info$/m);
  assert.not.match(text.stdout, /\x1b\[/, 'no colour when not a terminal');
  const md = uapigen('diff', '--base', 'linux/vfio.h', '--patch', SEED, '--format', 'markdown');
  assert.match(md.stdout, /^## UAPI review: `linux\/vfio\.h` → /m);
  assert.match(md.stdout, /^\| `FLAG_BIT_COLLISION` \| `VFIO_DEVICE_FLAGS_VHOST` \|/m);
  assert.is(uapigen('diff', 'a.h').status, 2);
  assert.is(uapigen('diff', 'linux/vfio.h', 'linux/vfio.h', '--format', 'pdf').status, 2);
});

r('the HTML report renders in headless Chromium with one layout picture per changed record', () => {
  const dir = writeTree({
    'old/t.h': '#include <linux/types.h>\nstruct moved { __u8 a; __u32 b; __u16 c; };\nstruct grown { __u32 argsz; __u32 flags; };\nstruct same { __u32 x; };\n',
    'new/t.h': '#include <linux/types.h>\nstruct moved { __u8 a; __u16 c; __u32 b; };\nstruct grown { __u32 argsz; __u32 flags; __u64 extra; };\nstruct same { __u32 x; };\n',
  });
  const res = uapigen('diff', join(dir, 'old'), join(dir, 'new'), '--format', 'html', '--fail-on', 'never');
  assert.is(res.status, 0, res.stderr);
  const page = join(dir, 'report.html');
  writeFileSync(page, res.stdout);
  const chromium = ['/usr/bin/chromium', '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', `--user-data-dir=${scratchDir('chromium')}`];
  const dom = spawnSync(chromium[0], [...chromium.slice(1), '--dump-dom', `file://${page}`], { encoding: 'utf8', timeout: 60_000 });
  assert.is(dom.status, 0, dom.stderr);
  const figures = [...dom.stdout.matchAll(/<figure class="layout" data-record="([^"]+)"/g)].map((m) => m[1]);
  assert.equal(figures, ['grown', 'moved']);
  assert.match(dom.stdout, /class="byte hole"/, 'holes are drawn');
  assert.match(dom.stdout, /class="byte moved"/, 'moved fields are marked');
  const png = join(dir, 'report.png');
  const shot = spawnSync(chromium[0], [...chromium.slice(1), `--screenshot=${png}`, '--window-size=1200,900', `file://${page}`], { encoding: 'utf8', timeout: 60_000 });
  assert.is(shot.status, 0, shot.stderr);
  const bytes = readFileSync(png);
  assert.equal([...bytes.subarray(1, 4)].map((c) => String.fromCharCode(c)).join(''), 'PNG');
  assert.ok(statSync(png).size > 10_000, `a ${statSync(png).size}-byte screenshot is too small to hold the report`);
  // Not one flat colour: a picture with content compresses to many distinct byte values.
  assert.ok(new Set(bytes.subarray(100)).size > 200);
});

r('a tree holding linux/vhost_types.h is read with the vhost unit\'s overrides, as generate binds its families', () => {
  // vhost_types.h writes VHOST_ACCESS_* above `perm`; by convention alone they would be `uaddr`'s.
  const header = readFileSync('/usr/include/linux/vhost_types.h', 'utf8');
  const grown = header.replace(/^(#define VHOST_ACCESS_RW\s+0x3)$/m, '$1\n#define VHOST_ACCESS_EXEC 0x4');
  assert.is.not(grown, header, 'the system header has VHOST_ACCESS_RW where the case adds beside it');
  const dir = writeTree({ 'old/linux/vhost_types.h': header, 'new/linux/vhost_types.h': grown });
  const run = (...extra: string[]) => uapigen('diff', join(dir, 'old'), join(dir, 'new'), '--format', 'json', ...extra);
  const j = JSON.parse(run().stdout);
  assert.equal(j.findings.map((f: { code: string; message: string }) => `${f.code} ${f.message}`), ['FLAG_ADDED VHOST_ACCESS_EXEC = 0x4 in a free bit of vhost_iotlb_msg.perm']);
  assert.ok(j.notes.includes("read with the overrides of unit vhost in uapigen's own uapi/manifest.json, as generate reads them"), j.notes.join('\n'));
  // A manifest of a project's own that does not read the header: the convention alone, and no note.
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ units: [{ name: 'other', headers: ['linux/vfio.h'] }] }));
  const bare = JSON.parse(run('--manifest', join(dir, 'manifest.json')).stdout);
  assert.equal(bare.findings.map((f: { message: string }) => f.message), ['VHOST_ACCESS_EXEC = 0x4 in a free bit of vhost_iotlb_msg.uaddr']);
  assert.equal(bare.notes, []);
});

r.run();
