// Calls an ioctl from a generated table, turning a refusal into an IoctlError that names it.
import type { Ioctl, RecordCodec } from '../codegen-v1.js';
import { Backend } from '../backend.js';
import { IoctlError, SyscallError } from '../errors.js';
import { ARGSZ_MAX_ROUNDS } from '../policy.js';

export function callIoctl(backend: Backend, fd: number, ioctl: Ioctl<unknown>, arg?: Uint8Array | number): number {
  try {
    return backend.ioctl(fd, ioctl.request, arg);
  } catch (e) {
    if (e instanceof SyscallError) throw new IoctlError(ioctl.name, e.errno, e.detail);
    throw e;
  }
}

/**
 * The argsz protocol of vfio's INFO ioctls: ask with the fixed struct; when the answer needs
 * more room (capabilities), the kernel raises argsz and the caller asks again with that much.
 * Asked again only while argsz grows, at most ARGSZ_MAX_ROUNDS times.
 */
export function argszQuery<T extends { argsz: number }>(backend: Backend, fd: number, ioctl: Ioctl<unknown>, codec: RecordCodec<T>, request: Omit<T, 'argsz'>): { value: T; bytes: Uint8Array; rounds: number } {
  let argsz = codec.size;
  for (let round = 1; ; round++) {
    const bytes = new Uint8Array(argsz);
    codec.encode({ ...request, argsz } as T, new DataView(bytes.buffer), 0);
    callIoctl(backend, fd, ioctl, bytes);
    const value = codec.fromBytes(bytes);
    if (value.argsz <= argsz || round >= ARGSZ_MAX_ROUNDS) return { value, bytes, rounds: round };
    argsz = value.argsz;
  }
}
