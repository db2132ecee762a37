// Instructions per descriptor, counted by valgrind's callgrind: the ring bench's figure that this
// host's slow spells do not move. A rate here swings by a third from one run to the next (the
// same build gave bursts at batch 32 from 0.40 to 0.54 of C over two days); an instruction count
// is the same to about one percent (the engine's, run to run; C's exactly), so a change to the
// hot paths that cuts a few percent can be weighed in one run.
//
// Each count is the difference of two runs of one case, `small` and `large` descriptors, over
// the descriptors between: start-up, the JIT's compiling and the warm-up fall out. Node runs with
// --single-threaded, so no compiler or collector thread adds instructions that vary from run to
// run; the code it compiles is the same.
//
// Instructions are not time: the engine's are simpler than gcc's (bounds, map and overflow
// checks, each a compare and a branch that predicts well), so the ratio of rates is above the
// ratio of counts. The figure says where the instructions go, and whether a change cut them.
import { spawn, spawnSync } from 'node:child_process';

/** Why counting cannot be done here, or undefined when valgrind runs. */
export function valgrindMissing(): string | undefined {
  const r = spawnSync('valgrind', ['--version'], { encoding: 'utf8' });
  if (r.error !== undefined || r.status !== 0) return 'valgrind is not installed (Debian: apt-get install valgrind)';
  return undefined;
}

/** The user-space instructions one run executes, from callgrind's summary; throws, with what valgrind said, when the run failed. */
function countRun(command: readonly string[]): Promise<number> {
  const args = ['--tool=callgrind', '--callgrind-out-file=/dev/null', '--smc-check=all-non-file', ...command];
  return new Promise((resolve, reject) => {
    const child = spawn('valgrind', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    child.on('error', reject);
    child.on('close', (status) => {
      const collected = /Collected : (\d+)/.exec(stderr);
      // callgrind writes its summary even when the program failed: the exit status decides.
      if (status !== 0 || collected === null) reject(new Error(`${command.join(' ')} under valgrind: exit ${status}: ${stderr.trim().split('\n').slice(-3).join(' ')}`));
      else resolve(Number(collected[1]));
    });
  });
}

/**
 * Instructions per descriptor of the program `command(n)` runs, which moves n descriptors: the
 * two runs at once (each is one thread), their difference over `large - small`.
 */
export async function instructionsPerDescriptor(command: (descriptors: number) => readonly string[], small: number, large: number): Promise<number> {
  if (!(Number.isSafeInteger(small) && small > 0 && large > small)) throw new RangeError(`counts of ${small} and ${large} descriptors: two, the second larger`);
  const [a, b] = await Promise.all([countRun(command(small)), countRun(command(large))]);
  return (b - a) / (large - small);
}
