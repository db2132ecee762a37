// How the simulated kernel refuses a call: SyscallError with an errno from the generated table.
import { EFAULT } from '../../generated/errno.js';
import { RecordCodec } from '../codegen-v1.js';
import { SyscallError } from '../errors.js';

export function refuse(syscall: string, errno: number, detail: string): never {
  throw new SyscallError(syscall, errno, detail);
}

/** The caller's buffer for an ioctl, at least `min` bytes; EFAULT otherwise (as copy_from_user). */
export function userBuffer(name: string, arg: Uint8Array | number | undefined, min: number): Uint8Array {
  if (!(arg instanceof Uint8Array)) refuse(name, EFAULT, 'argument is not a buffer');
  if (arg.length < min) refuse(name, EFAULT, `buffer of ${arg.length} bytes, need ${min}`);
  return arg;
}

/** Reads a struct from a caller buffer that may be shorter than it (the rest reads as zero). */
export function readStruct<T>(codec: RecordCodec<T>, buf: Uint8Array): T {
  const full = new Uint8Array(Math.max(codec.size, buf.length));
  full.set(buf);
  return codec.fromBytes(full);
}

/** Writes a struct back into a caller buffer, no further than the buffer goes. */
export function writeStruct<T>(codec: RecordCodec<T>, value: T, buf: Uint8Array): void {
  const full = codec.toBytes(value);
  buf.set(full.subarray(0, Math.min(full.length, buf.length)));
}
