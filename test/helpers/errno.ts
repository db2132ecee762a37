// The errno a call is refused with (SyscallError or IoctlError); fails the test if the call succeeds.
import { SyscallError } from '../../runtime/errors.js';

export function errnoOf(f: () => unknown): number {
  try {
    f();
  } catch (e) {
    if (e instanceof SyscallError) return e.errno;
    throw e;
  }
  throw new Error('the call succeeded');
}
