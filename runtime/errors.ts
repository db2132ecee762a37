// Typed errors of the runtime. A failed system call carries the errno as the kernel gave it,
// with its name from the generated errno table; a failed ioctl also names the ioctl.
import * as errno from '../generated/errno.js';

const NAMES = new Map<number, string>();
for (const [name, value] of Object.entries(errno)) {
  // EWOULDBLOCK = EAGAIN and friends: keep the first, canonical name.
  if (typeof value === 'number' && /^E[A-Z0-9]+$/.test(name) && !NAMES.has(value)) NAMES.set(value, name);
}

export function errnoName(n: number): string {
  return NAMES.get(n) ?? `errno ${n}`;
}

/** A system call the kernel (or the simulated device) refused. */
export class SyscallError extends Error {
  override name = 'SyscallError';
  readonly code: string;
  constructor(
    readonly syscall: string,
    readonly errno: number,
    readonly detail?: string,
  ) {
    super(`${syscall}: ${errnoName(errno)}${detail ? ` (${detail})` : ''}`);
    this.code = errnoName(errno);
  }
}

/** An ioctl the kernel refused, by name: `VFIO_DEVICE_SET_IRQS: EINVAL`. */
export class IoctlError extends SyscallError {
  override name = 'IoctlError';
  constructor(
    readonly ioctl: string,
    errno: number,
    detail?: string,
  ) {
    super(ioctl, errno, detail);
  }
}

export type ChainFault = 'offset-before-info' | 'offset-past-end' | 'misaligned' | 'header-past-end' | 'body-past-end' | 'loop';

/** A capability chain the runtime will not walk, with what is wrong and where. */
export class CapabilityChainError extends Error {
  override name = 'CapabilityChainError';
  constructor(
    readonly fault: ChainFault,
    readonly offset: number,
    message: string,
  ) {
    super(`capability chain: ${message}`);
  }
}

/** The vfio-vhost control channel answered something the protocol does not allow. */
export class VhostProtocolError extends Error {
  override name = 'VhostProtocolError';
}
