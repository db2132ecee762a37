// The ring bench's C reference (test/bench/ring.c), built with gcc into a directory of its own:
// one builder for rings.ts, which times it, and for the bench's test, which checks that it
// builds without a warning and moves every descriptor.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The source, found from this module (dist/test/bench), whatever the working directory. */
export const RING_C = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'test', 'bench', 'ring.c');

export type RingCMode = 'minimal' | 'checked' | 'threads';

export interface RingC {
  /** The built program. */
  readonly exe: string;
  /** One run: descriptors per second and the bytes the device read; undefined when it failed. */
  run(mode: RingCMode, num: number, batch: number, total: number): { rate: number; checksum: number } | undefined;
  /** Removes the build. */
  done(): void;
}

/** ring.c built with gcc -O2 (and -pthread, for its threads mode), warnings as errors; or what gcc said when it was not. */
export function buildRingC(): RingC | { error: string } {
  const dir = mkdtempSync(join(tmpdir(), 'uapigen-ring-'));
  const exe = join(dir, 'ring');
  const cc = spawnSync('gcc', ['-O2', '-Wall', '-Werror', '-pthread', '-o', exe, RING_C], { encoding: 'utf8' });
  if (cc.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    return { error: cc.stderr || cc.error?.message || `gcc exited ${cc.status}` };
  }
  return {
    exe,
    run: (mode, num, batch, total) => {
      const r = spawnSync(exe, [mode, String(num), String(batch), String(total)], { encoding: 'utf8' });
      const [rate, checksum] = r.stdout.trim().split(' ').map(Number);
      return r.status === 0 && rate > 0 ? { rate, checksum } : undefined;
    },
    done: () => rmSync(dir, { recursive: true, force: true }),
  };
}
