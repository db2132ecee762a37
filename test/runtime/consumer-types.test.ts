// What a TypeScript project that installs uapigen sees: the package's entries (uapigen/runtime,
// uapigen/generated/<unit>.js) resolve through its exports map to declarations beside the
// built JavaScript. Without them a consumer's strict build stops at "could not find a
// declaration file", and the typed bindings are typed only inside this repository. And the
// bindings such a project generates for headers of its own, which import the package.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

const c = suite('a TypeScript consumer of the package');
const ROOT = process.cwd();
const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');

/**
 * A project of its own with this package installed (linked) in it, main.ts being `source`:
 * `build` type-checks it (and with `emit`, compiles it to out/). Removed by `done`.
 */
function consumer(source: string) {
  const dir = mkdtempSync(join(tmpdir(), 'uapigen-consumer-'));
  mkdirSync(join(dir, 'node_modules'));
  symlinkSync(ROOT, join(dir, 'node_modules', 'uapigen'), 'dir');
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  writeFileSync(join(dir, 'main.ts'), source);
  return {
    dir,
    build(emit = false): { status: number | null; out: string } {
      const compilerOptions = {
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        target: 'ES2022',
        strict: true,
        ...(emit ? { outDir: 'out' } : { noEmit: true }),
        lib: ['ES2022', 'ES2024.SharedMemory'],
        typeRoots: [join(ROOT, 'node_modules', '@types')],
        types: ['node'],
      };
      writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions, files: ['main.ts'] }));
      const r = spawnSync(process.execPath, [TSC, '-p', dir], { encoding: 'utf8' });
      return { status: r.status, out: `${r.stdout}${r.stderr}` };
    },
    /** `uapigen generate` with the project's uapi/manifest.json, from its top, as its users run it. */
    generate(): void {
      const gen = spawnSync(process.execPath, [join(ROOT, 'dist', 'generator', 'cli.js'), 'generate', '--manifest', 'uapi/manifest.json'], { cwd: dir, encoding: 'utf8' });
      assert.is(gen.status, 0, gen.stderr);
    },
    /** Compiles the project and runs main.js: what it printed. */
    buildAndRun(): { stdout: string; stderr: string } {
      const built = this.build(true);
      assert.is(built.status, 0, built.out);
      const run = spawnSync(process.execPath, [join(dir, 'out', 'main.js')], { encoding: 'utf8' });
      return { stdout: run.stdout, stderr: run.stderr };
    },
    done: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Type-checks `source` as main.ts of a project of its own. */
function typeCheck(source: string): { status: number | null; out: string } {
  const project = consumer(source);
  try {
    return project.build();
  } finally {
    project.done();
  }
}

const IMPORTS = `import { allocSplitRing, SplitQueueDriver } from 'uapigen/runtime';
import { VFIO_DEVICE_API_VHOST_STRING } from 'uapigen/generated/vfio_vhost.js';
import { vfio_region_info } from 'uapigen/generated/vfio.js';
`;

c('the README\'s imports type-check from outside the repository, with the types they have inside it', () => {
  const good = typeCheck(`${IMPORTS}
const ring = allocSplitRing(64, (size: number) => ({ iova: 0n, bytes: new Uint8Array(size) }));
const driver = new SplitQueueDriver<string>(64, ring, false);
export const api: string = VFIO_DEVICE_API_VHOST_STRING;
export const free: number = driver.free;
export const size: number = vfio_region_info.size;
`);
  assert.is(good.status, 0, good.out);
  // Types, not a declaration that makes everything \`any\`: a wrong use is an error.
  const bad = typeCheck(`${IMPORTS}
export const api: number = VFIO_DEVICE_API_VHOST_STRING;
`);
  assert.is.not(bad.status, 0, 'a string constant taken as a number was accepted');
  assert.match(bad.out, /main\.ts\(\d+,\d+\): error TS2322: Type 'string' is not assignable to type 'number'/);
});

c("bindings a project generates for a header of its own import the package's runtime entry, type-check and run", () => {
  const project = consumer(`import { MINE_MAGIC, mine_info } from './generated/mine.js';
const bytes: Uint8Array = mine_info.toBytes({ argsz: mine_info.size, magic: MINE_MAGIC, addr: 0x1234n });
process.stdout.write([bytes.length, mine_info.fromBytes(bytes).addr === 0x1234n].join(' ') + '\\n');
`);
  try {
    const { dir } = project;
    mkdirSync(join(dir, 'uapi'));
    writeFileSync(join(dir, 'uapi', 'manifest.json'), JSON.stringify({ units: [{ name: 'mine', headers: ['./mine.h'] }] }));
    writeFileSync(join(dir, 'uapi', 'mine.h'), '#include <linux/types.h>\n#define MINE_MAGIC 0x4d494e45\nstruct mine_info {\n\t__u32 argsz;\n\t__u32 magic;\n\t__u64 addr;\n};\n');
    project.generate();
    const text = readFileSync(join(dir, 'generated', 'mine.ts'), 'utf8');
    assert.match(text, /from 'uapigen\/runtime\/codegen-v1\.js';/, 'the runtime entry by the package name');
    assert.match(text, /^\/\/ Regenerate with: npx uapigen generate --manifest uapi\/manifest\.json$/m, 'the command that regenerates it, from the project');
    const run = project.buildAndRun();
    assert.is(run.stdout, '16 true\n', run.stderr);
  } finally {
    project.done();
  }
});

c('bindings of system headers with many families on one prefix type-check, each family named by its field', () => {
  const project = consumer(`import { VIRTIO_CRYPTO_HASH_SESSION_PARA_ALGO, VIRTIO_CRYPTO_RSA_SESSION_PARA_HASH_ALGO, virtio_crypto_rsa_session_para } from './generated/crypto.js';
import { FD_RAW } from './generated/fd.js';
const rsa = virtio_crypto_rsa_session_para.zero();
rsa.hash_algo = VIRTIO_CRYPTO_RSA_SESSION_PARA_HASH_ALGO.members.SHA256;
process.stdout.write([VIRTIO_CRYPTO_HASH_SESSION_PARA_ALGO.decode(3).names.join(), VIRTIO_CRYPTO_RSA_SESSION_PARA_HASH_ALGO.family, virtio_crypto_rsa_session_para.fromBytes(virtio_crypto_rsa_session_para.toBytes(rsa)).hash_algo, FD_RAW.family].join(' ') + '\\n');
`);
  try {
    const { dir } = project;
    mkdirSync(join(dir, 'uapi'));
    const units = [['crypto', 'linux/virtio_crypto.h'], ['fd', 'linux/fd.h'], ['iommu', 'linux/iommu.h']].map(([name, header]) => ({ name, headers: [header] }));
    writeFileSync(join(dir, 'uapi', 'manifest.json'), JSON.stringify({ units }));
    project.generate();
    // Every generated file, not only what main.ts imports: two declarations of one name fail here.
    writeFileSync(join(dir, 'all.ts'), units.map((u) => `export * as ${u.name} from './generated/${u.name}.js';\n`).join(''));
    writeFileSync(join(dir, 'main.ts'), `import './all.js';\n${readFileSync(join(dir, 'main.ts'), 'utf8')}`);
    const run = project.buildAndRun();
    assert.is(run.stdout, 'HASH_SHA_224 virtio_crypto_rsa_session_para.hash_algo 6 floppy_raw_cmd.flags\n', run.stderr);
  } finally {
    project.done();
  }
});

/** The README's TypeScript examples, each with the lines its `// prints:` comments promise, in order. */
function readmeExamples(): { line: number; source: string; prints: string[] }[] {
  const lines = readFileSync(join(ROOT, 'README.md'), 'utf8').split('\n');
  const out: { line: number; source: string; prints: string[] }[] = [];
  for (let k = 0; k < lines.length; k++) {
    if (lines[k] !== '```ts') continue;
    const end = lines.indexOf('```', k + 1);
    const body = lines.slice(k + 1, end);
    const prints = body.flatMap((l) => /\/\/ prints: (.*)$/.exec(l)?.[1] ?? []);
    out.push({ line: k + 1, source: body.join('\n') + '\n', prints });
    k = end;
  }
  return out;
}

c("the README's TypeScript examples build and run as written, printing what they say they print", () => {
  const examples = readmeExamples();
  assert.ok(examples.length >= 2, `README.md: ${examples.length} TypeScript examples found`);
  for (const { line, source, prints } of examples) {
    assert.ok(prints.length > 0, `README.md:${line}: an example that says nothing it prints checks only that it runs`);
    const project = consumer(source);
    try {
      const built = project.build(true);
      assert.is(built.status, 0, `README.md:${line}: ${built.out}`);
      const run = spawnSync(process.execPath, [join(project.dir, 'out', 'main.js')], { encoding: 'utf8', timeout: 30_000 });
      assert.is(run.status, 0, `README.md:${line}: ${run.stderr}`);
      assert.equal(run.stdout.trimEnd().split('\n'), prints, `README.md:${line}`);
    } finally {
      project.done();
    }
  }
});

c('the package holds the generator, the runtime and the bindings with their declarations, and not the tests', () => {
  // --ignore-scripts: packing runs `prepare`, a build, which would rewrite dist/ under this run.
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const r = spawnSync(npm, ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, encoding: 'utf8' });
  assert.is(r.status, 0, r.stderr);
  const files = new Set((JSON.parse(r.stdout) as { files: { path: string }[] }[])[0].files.map((f) => f.path));
  const entries = ['dist/generator/cli.js', 'dist/runtime/index.js', 'dist/runtime/index.d.ts', 'dist/runtime/virtio/device-worker.js', 'dist/generated/vfio.js', 'dist/generated/vfio.d.ts', 'uapi/manifest.json'];
  for (const entry of entries) assert.ok(files.has(entry), `${entry} is not in the package`);
  assert.ok([...files].some((f) => f.startsWith('generator/diff/templates/')), 'the diff report templates are not in the package');
  const tests = [...files].filter((f) => f.startsWith('dist/test/'));
  assert.equal(tests, [], 'compiled tests and benches in the package');
});

c.run();
