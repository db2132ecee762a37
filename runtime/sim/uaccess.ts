// How the simulated kernel copies from and to the caller (the kernel's uaccess), and how it
// refuses a call: SyscallError with an errno from the generated table.
import { EFAULT, EINVAL } from '../../generated/errno.js';
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

/**
 * The request of an argsz ioctl: the caller's buffer and the struct in it, with argsz at least
 * `minsz` (what the kernel's handler copies in) and no more than the buffer holds.
 */
export function argszRequest<T extends { argsz: number }>(name: string, arg: Uint8Array | number | undefined, codec: RecordCodec<T>, minsz = codec.size): { buf: Uint8Array; req: T } {
  const buf = userBuffer(name, arg, minsz);
  const req = readStruct(codec, buf);
  if (req.argsz < minsz || req.argsz > buf.length) refuse(name, EINVAL, `argsz ${req.argsz}`);
  return { buf, req };
}
