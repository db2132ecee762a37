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
//
// For a node program the count is also split by function (nodeInstructionsByFunction): callgrind's
// costs by instruction address, each summed into the function whose code node's --perf-basic-prof
// map says holds it, so a round's instructions can be laid at popBurst's door or addBurst's.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';

/** Why counting cannot be done here, or undefined when valgrind runs. */
export function valgrindMissing(): string | undefined {
  const r = spawnSync('valgrind', ['--version'], { encoding: 'utf8' });
  if (r.error !== undefined || r.status !== 0) return 'valgrind is not installed (Debian: apt-get install valgrind)';
  return undefined;
}

/**
 * One run under callgrind, its output to `outFile`: the user-space instructions it executed, from
 * callgrind's summary, and the process id it ran as (valgrind runs the program in its own
 * process). Throws, with what valgrind said, when the run failed.
 */
function callgrindRun(command: readonly string[], outFile: string, perInstruction: boolean): Promise<{ collected: number; pid: number }> {
  const args = ['--tool=callgrind', `--callgrind-out-file=${outFile}`, '--smc-check=all-non-file'];
  // Costs by instruction address, each position written in full, so a JIT function's can be summed from its address range.
  if (perInstruction) args.push('--dump-instr=yes', '--compress-pos=no', '--compress-strings=no');
  return new Promise((resolve, reject) => {
    const child = spawn('valgrind', [...args, ...command], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    child.on('error', reject);
    child.on('close', (status) => {
      const collected = /Collected : (\d+)/.exec(stderr);
      // callgrind writes its summary even when the program failed: the exit status decides.
      if (status !== 0 || collected === null || child.pid === undefined) reject(new Error(`${command.join(' ')} under valgrind: exit ${status}: ${stderr.trim().split('\n').slice(-3).join(' ')}`));
      else resolve({ collected: Number(collected[1]), pid: child.pid });
    });
  });
}

/** The user-space instructions one run executes. */
async function countRun(command: readonly string[]): Promise<number> {
  return (await callgrindRun(command, '/dev/null', false)).collected;
}

/** The two runs' lengths in descriptors: whole, the second larger, or the difference means nothing. */
function checkRunLengths(small: number, large: number): void {
  if (!(Number.isSafeInteger(small) && small > 0 && large > small)) throw new RangeError(`counts of ${small} and ${large} descriptors: two, the second larger`);
}

/**
 * Instructions per descriptor of the program `command(n)` runs, which moves n descriptors: the
 * two runs at once (each is one thread), their difference over `large - small`.
 */
export async function instructionsPerDescriptor(command: (descriptors: number) => readonly string[], small: number, large: number): Promise<number> {
  checkRunLengths(small, large);
  const [a, b] = await Promise.all([countRun(command(small)), countRun(command(large))]);
  return (b - a) / (large - small);
}

/** Where no function of node's perf map holds the address: the engine, its builtins' callers, libc, the kernel's entry. */
const OTHER_CODE = '(engine, builtins and libraries)';

/**
 * A name for the code node's perf map gives: `JS:*popBurst file:///.../device-queue.js:164:13`
 * (`*` optimised, `^` baseline, `~` interpreted) as `popBurst (device-queue.js)`. A function's
 * tiers and its on-stack-replacement copies count as one.
 */
function functionName(mapped: string): string {
  const js = /^JS:[*^~]?(\S*) (?:file:\/\/)?(\S*?)(?::\d+:\d+)?$/.exec(mapped);
  if (js === null) return mapped;
  return `${js[1] || '(anonymous)'} (${basename(js[2]) || 'eval'})`;
}

/** Instructions by function of one run: callgrind's costs by address, each summed into the perf map's range that holds it. */
function attribute(callgrindOut: string, perfMap: string): Map<string, number> {
  const ranges = perfMap
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      const [start, size, ...name] = l.split(' ');
      return { start: parseInt(start, 16), end: parseInt(start, 16) + parseInt(size, 16), name: functionName(name.join(' ')) };
    })
    .sort((a, b) => a.start - b.start);
  const owner = (address: number): string => {
    let lo = 0;
    let hi = ranges.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (ranges[mid].start <= address) lo = mid + 1;
      else hi = mid - 1;
    }
    return hi >= 0 && address < ranges[hi].end ? ranges[hi].name : OTHER_CODE;
  };
  const totals = new Map<string, number>();
  let callCost = false;
  for (const line of callgrindOut.split('\n')) {
    // The line after `calls=` is the called function's inclusive cost, already counted where it ran.
    if (line.startsWith('calls=')) {
      callCost = true;
      continue;
    }
    if (!line.startsWith('0x')) continue;
    if (callCost) {
      callCost = false;
      continue;
    }
    const [address, , cost] = line.split(' ');
    if (cost === undefined) continue;
    const name = owner(parseInt(address, 16));
    totals.set(name, (totals.get(name) ?? 0) + Number(cost));
  }
  return totals;
}

/** Where node run with --perf-basic-prof writes its map: where perf looks for it, /tmp, whatever TMPDIR says. */
const perfMapOf = (pid: number) => `/tmp/perf-${pid}.map`;

/**
 * One node run under callgrind, its instructions in all and by function (node's --perf-basic-prof
 * names the JIT's code), and the path of the map it read (removed by then).
 */
async function countNodeRun(nodeArgs: readonly string[]): Promise<{ total: number; byFunction: Map<string, number>; perfMap: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'uapigen-callgrind-'));
  const out = join(dir, 'callgrind.out');
  let pid: number | undefined;
  try {
    const run = await callgrindRun([process.execPath, '--perf-basic-prof', ...nodeArgs], out, true);
    pid = run.pid;
    const perfMap = perfMapOf(pid);
    return { total: run.collected, byFunction: attribute(readFileSync(out, 'utf8'), readFileSync(perfMap, 'utf8')), perfMap };
  } finally {
    rmSync(dir, { recursive: true, force: true });
    if (pid !== undefined) rmSync(perfMapOf(pid), { force: true });
  }
}

/**
 * Instructions per descriptor of the node program `nodeArgs(n)` runs (node's arguments, the
 * script and its own), which moves n descriptors, in all and by function: as
 * instructionsPerDescriptor, each function's count the difference of the two runs over the
 * descriptors between. Functions that ran under one instruction a descriptor are left out; the
 * total counts them. The engine's own share may come out below zero: the two runs compile and
 * collect at different moments, and the larger run's start-up can cost less than the smaller's.
 * `perfMaps` names the two runs' perf maps, removed by the time it returns.
 */
export async function nodeInstructionsByFunction(
  nodeArgs: (descriptors: number) => readonly string[],
  small: number,
  large: number,
): Promise<{ perDescriptor: number; byFunction: [string, number][]; perfMaps: string[] }> {
  checkRunLengths(small, large);
  const [a, b] = await Promise.all([countNodeRun(nodeArgs(small)), countNodeRun(nodeArgs(large))]);
  const span = large - small;
  const byFunction = [...b.byFunction]
    .map(([name, n]): [string, number] => [name, (n - (a.byFunction.get(name) ?? 0)) / span])
    .filter(([, n]) => Math.abs(n) >= 1)
    .sort((x, y) => y[1] - x[1]);
  return { perDescriptor: (b.total - a.total) / span, byFunction, perfMaps: [a.perfMap, b.perfMap] };
}
