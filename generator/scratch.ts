// Scratch directories for what a command writes only to read back (a patched header, an empty
// one): made under the system's temporary directory and removed when the process exits, so a
// user's /tmp does not fill with them run after run.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const made: string[] = [];

/** A new empty directory, removed with everything in it when the process exits. */
export function scratchDir(prefix: string): string {
  if (made.length === 0) process.once('exit', removeAll);
  const dir = mkdtempSync(join(tmpdir(), `uapigen-${prefix}-`));
  made.push(dir);
  return dir;
}

function removeAll(): void {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
}
