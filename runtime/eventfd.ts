// Reading an eventfd the way a driver polls one: the counter, cleared, or nothing when no one
// signalled it. The kernel answers an empty eventfd with EAGAIN; that is an answer here, and any
// other refusal (a closed fd, a file that is not an eventfd) is still an error.
import { EAGAIN } from '../generated/errno.js';
import { u64 } from './codegen-v1.js';
import type { Backend } from './backend.js';
import { SyscallError } from './errors.js';

/** The eventfd's counter, read and cleared: 0n when nothing signalled it since the last read. */
export function takeEventfd(backend: Backend, fd: number): bigint {
  const buf = new Uint8Array(u64.size);
  try {
    backend.read(fd, buf);
  } catch (e) {
    if (e instanceof SyscallError && e.errno === EAGAIN) return 0n;
    throw e;
  }
  return u64.decode(new DataView(buf.buffer), 0);
}
