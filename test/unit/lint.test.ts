// `uapigen lint`: each rule on a small header, and the baseline for the headers the project reads.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildModel } from '../../generator/pipeline.js';
import { lintModels, LINT_RULES, LintCode } from '../../generator/lint/rules.js';
import { writeTree } from '../helpers/model.js';

const l = suite('lint');
const CLI = join(process.cwd(), 'dist', 'generator', 'cli.js');

const HEADER = `#include <linux/types.h>
#include <linux/ioctl.h>
enum mode { M_A, M_B };
struct hole { __u8 a; __u32 b; };
struct u64 { __u32 a; __u64 b; __u32 c; __u32 d; };
struct ptr { void *p; unsigned long n; };
#define P_SET _IOW('P', 1, struct ptr)
struct flex { __u32 n; __u32 data[]; }; struct holder { struct flex f; __u32 after; struct flex many[2]; struct flex last; };
struct en { enum mode m; };
struct bits { __u32 a : 3; __u32 b : 29; };
/**
 * X_GET - _IOWR('X', 1, struct noargsz)
 */
struct noargsz { __u32 flags; __u32 argsz; };
#define X_GET _IO('X', 1)
struct fl { __u32 flags;
#define FL_A (1 << 0)
#define FL_B (1 << 0)
#define FL_OLD_NAME FL_A
};
`;

l('each rule finds its problem, at its line', () => {
  const dir = writeTree({ 'l.h': HEADER });
  const h = join(dir, 'l.h');
  const found = lintModels({ x86_64: buildModel([h], { abi: 'x86_64' }), i386: buildModel([h], { abi: 'i386' }) });
  const by = (code: LintCode) => found.filter((f) => f.code === code).map((f) => `${f.subject}:${f.line}`);
  assert.ok(by('LINT_PADDING_HOLE').includes('hole@1:4'), JSON.stringify(found));
  assert.equal(by('LINT_U64_OFFSET_DIFFERS'), ['u64.b:5', 'ptr.n:6']);
  assert.equal(by('LINT_LONG_OR_POINTER'), ['ptr.n:6', 'ptr.p:6']);
  assert.equal(by('LINT_FLEX_NOT_LAST'), ['holder.f:8', 'holder.many:8']);
  assert.equal(by('LINT_ENUM_FIELD'), ['en.m:9']);
  assert.equal(by('LINT_BITFIELD'), ['bits.a:10', 'bits.b:10']);
  assert.equal(by('LINT_EXTENSIBLE_WITHOUT_ARGSZ'), ['X_GET:14']);
  // An alias spelled by the other flag's name (fuse.h's obsolete FUSE_WRITE_KILL_PRIV) is meant, not an overlap.
  assert.equal(by('LINT_FLAG_OVERLAP'), ['FL_B:18']);
  const covered = new Set(found.map((f) => f.code));
  assert.equal(Object.keys(LINT_RULES).filter((c) => !covered.has(c as LintCode)), []);
});

l('the shipped headers pass against the baseline; a new finding fails; --update-baseline records it', () => {
  const ok = spawnSync(process.execPath, [CLI, 'lint', 'linux/vfio.h', 'uapi/vfio_vhost.h'], { encoding: 'utf8' });
  assert.is(ok.status, 0, ok.stdout);
  assert.match(ok.stdout, /linux\/vfio\.h: 0 new, \d+ baselined/);
  const dir = writeTree({ 'l.h': HEADER, 'baseline.json': '{ "headers": {} }' });
  const bad = spawnSync(process.execPath, [CLI, 'lint', join(dir, 'l.h'), '--baseline', join(dir, 'baseline.json')], { encoding: 'utf8' });
  assert.is(bad.status, 1);
  assert.match(bad.stdout, /l\.h:5: LINT_U64_OFFSET_DIFFERS u64\.b: u64\.b: offset 8 on x86_64, 4 on i386/);
  const upd = spawnSync(process.execPath, [CLI, 'lint', join(dir, 'l.h'), '--baseline', join(dir, 'baseline.json'), '--update-baseline'], { encoding: 'utf8' });
  assert.is(upd.status, 0);
  assert.ok(JSON.parse(readFileSync(join(dir, 'baseline.json'), 'utf8')).headers[join(dir, 'l.h')].includes('LINT_FLAG_OVERLAP FL_B'));
  const again = spawnSync(process.execPath, [CLI, 'lint', join(dir, 'l.h'), '--baseline', join(dir, 'baseline.json')], { encoding: 'utf8' });
  assert.is(again.status, 0, again.stdout);
});

l("outside this package, --update-baseline writes only a baseline it is given: the default is uapigen's own", () => {
  const own = join(process.cwd(), 'uapi', 'lint-baseline.json');
  const before = readFileSync(own, 'utf8');
  const dir = writeTree({ 'l.h': HEADER });
  const r = spawnSync(process.execPath, [CLI, 'lint', './l.h', '--update-baseline'], { cwd: dir, encoding: 'utf8' });
  assert.is(r.status, 2);
  assert.match(r.stderr, /UG902\]: --update-baseline needs --baseline FILE here: the default, .*uapi\/lint-baseline\.json, is uapigen's own/);
  assert.is(readFileSync(own, 'utf8'), before, 'the package baseline is unchanged');
});

l.run();
