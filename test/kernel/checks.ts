// The kernel test's checks: each a named line, `KERNEL-TEST ok|not ok <name>: <detail>`, and a
// closing count that test/kernel/harness.sh and .ci/run read.
let passed = 0;
let failed = 0;
// Generous: TCG on a loaded CI machine is slow, and a wait only lasts this long when a check fails.
export const WAIT_MS = 15000;
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
export const hex = (v: number | bigint) => `0x${v.toString(16)}`;

export async function check(name: string, f: () => string | Promise<string>): Promise<void> {
  try {
    const detail = await f();
    passed++;
    console.log(`KERNEL-TEST ok ${name}: ${detail}`);
  } catch (e) {
    failed++;
    console.log(`KERNEL-TEST not ok ${name}: ${(e as Error).message}`);
  }
}

export function expect(what: string, ok: boolean, detail: string): void {
  if (!ok) throw new Error(`${what}: ${detail}`);
}

/** The closing line, and the exit status: 1 when any check failed. */
export function finish(): never {
  console.log(`KERNEL-TEST done ${passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}
