// The Backend boundary on a real Linux kernel, through koffi (an optional dependency): open,
// close, ioctl (variadic), read/write, pread/pwrite, mmap, eventfd, with errno mapped to
// SyscallError. DMA memory is mmapped anonymous shared memory, seen from JS through
// koffi.view and handed to the IOMMU at its real address. Without koffi, or off Linux,
// constructing it says why it is unavailable; the rest of the runtime does not need it.
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { O_CLOEXEC, O_NONBLOCK, O_RDWR, MAP_ANONYMOUS, MAP_SHARED, POLLIN, POLLNVAL, PROT_READ, PROT_WRITE, pollfd } from '../../generated/linux_io.js';
import { EBADF } from '../../generated/errno.js';
import { Backend } from '../backend.js';
import { SyscallError } from '../errors.js';
import { BITS_PER_BYTE, NO_FILE } from '../policy.js';
import { u64 } from '../codegen-v1.js';

export class LinuxBackendUnavailable extends Error {
  override name = 'LinuxBackendUnavailable';
}

/* The parts of koffi this backend uses. */
type Fn = ((...args: unknown[]) => unknown) & { async(...args: unknown[]): void };

interface Koffi {
  load(path: string): { func(signature: string): Fn };
  errno(): number;
  view(ptr: unknown, length: number): ArrayBuffer;
  address(ptr: unknown): bigint;
}

type Loader = () => Koffi;

const defaultLoader: Loader = () => createRequire(import.meta.url)('koffi') as Koffi;

/** mmap's failure answer, (void *)-1: all bits of a 64-bit pointer set. */
const MAP_FAILED = BigInt.asUintN(u64.size * BITS_PER_BYTE, -1n);

/** Node reports a failed fs call's errno negated. */
const fsErrno = (e: unknown) => Math.abs((e as { errno?: number }).errno ?? 0);

export class LinuxBackend implements Backend {
  private readonly koffi: Koffi;
  private readonly fns: Record<string, Fn>;

  constructor(load: Loader = defaultLoader) {
    if (process.platform !== 'linux') throw new LinuxBackendUnavailable(`the Linux backend needs Linux, not ${process.platform}`);
    try {
      this.koffi = load();
    } catch (e) {
      throw new LinuxBackendUnavailable(`the Linux backend needs the optional package koffi (npm install koffi): ${(e as Error).message}`);
    }
    const libc = this.koffi.load('libc.so.6');
    this.fns = {
      open: libc.func('int open(const char *path, int flags, ...)'),
      close: libc.func('int close(int fd)'),
      ioctl: libc.func('int ioctl(int fd, unsigned long request, ...)'),
      read: libc.func('long read(int fd, void *buf, unsigned long count)'),
      write: libc.func('long write(int fd, const void *buf, unsigned long count)'),
      pread: libc.func('long pread(int fd, void *buf, unsigned long count, int64_t offset)'),
      pwrite: libc.func('long pwrite(int fd, const void *buf, unsigned long count, int64_t offset)'),
      mmap: libc.func('void *mmap(void *addr, unsigned long length, int prot, int flags, int fd, int64_t offset)'),
      eventfd: libc.func('int eventfd(unsigned int initval, int flags)'),
      poll: libc.func('int poll(void *fds, unsigned long nfds, int timeout)'),
      getpagesize: libc.func('int getpagesize()'),
    };
  }

  /** Calls libc; a negative answer becomes SyscallError with the errno. */
  private call(name: string, detail: string, ...args: unknown[]): number {
    const r = Number(this.fns[name](...args));
    if (r < 0) throw new SyscallError(name, this.koffi.errno(), detail);
    return r;
  }

  open(path: string): number {
    return this.call('open', path, path, O_RDWR | O_CLOEXEC);
  }

  close(fd: number): void {
    this.call('close', `fd ${fd}`, fd);
  }

  ioctl(fd: number, request: number, arg?: Uint8Array | number): number {
    if (arg === undefined) return this.call('ioctl', `fd ${fd}`, fd, request);
    if (typeof arg === 'number') return this.call('ioctl', `fd ${fd}`, fd, request, 'unsigned long', arg);
    return this.call('ioctl', `fd ${fd}`, fd, request, 'void *', arg);
  }

  read(fd: number, buf: Uint8Array): number {
    return this.call('read', `fd ${fd}`, fd, buf, buf.length);
  }

  write(fd: number, buf: Uint8Array): number {
    return this.call('write', `fd ${fd}`, fd, buf, buf.length);
  }

  pread(fd: number, buf: Uint8Array, offset: bigint): number {
    return this.call('pread', `fd ${fd}`, fd, buf, buf.length, offset);
  }

  pwrite(fd: number, buf: Uint8Array, offset: bigint): number {
    return this.call('pwrite', `fd ${fd}`, fd, buf, buf.length, offset);
  }

  private mapOrThrow(length: number, fd: number, offset: bigint, flags: number): unknown {
    const ptr = this.fns.mmap(null, length, PROT_READ | PROT_WRITE, flags, fd, offset);
    if (ptr === null || this.koffi.address(ptr) === MAP_FAILED) {
      throw new SyscallError('mmap', this.koffi.errno(), `fd ${fd} offset 0x${offset.toString(16)} length ${length}`);
    }
    return ptr;
  }

  mmap(fd: number, offset: bigint, length: number): Uint8Array {
    return new Uint8Array(this.koffi.view(this.mapOrThrow(length, fd, offset, MAP_SHARED), length));
  }

  eventfd(): number {
    // The kernel defines EFD_NONBLOCK and EFD_CLOEXEC as O_NONBLOCK and O_CLOEXEC.
    return this.call('eventfd', 'eventfd', 0, O_NONBLOCK | O_CLOEXEC);
  }

  /**
   * poll(2) runs on one of koffi's worker threads, so the event loop is never blocked. A failed
   * poll's errno belongs to that thread: the same poll is asked again here, without waiting, to
   * learn it (EBADF, say); if that one succeeds, the first was interrupted and the wait goes on.
   */
  async waitReadable(fd: number, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const arg = pollfd.toBytes({ fd, events: POLLIN, revents: 0 });
      const r = await new Promise<number>((resolve, reject) => this.fns.poll.async(arg, 1, Math.max(0, deadline - Date.now()), (err: unknown, n: number) => (err ? reject(err) : resolve(n))));
      if (r >= 0) return r > 0 && this.readable(fd, arg);
      const again = pollfd.toBytes({ fd, events: POLLIN, revents: 0 });
      if (this.call('poll', `fd ${fd}`, again, 1, 0) > 0) return this.readable(fd, again);
    }
  }

  /** What poll answered for one fd: POLLNVAL means the fd is not open, which poll itself does not fail on. */
  private readable(fd: number, answer: Uint8Array): boolean {
    const revents = pollfd.fromBytes(answer).revents;
    if (revents & POLLNVAL) throw new SyscallError('poll', EBADF, `fd ${fd} is not open`);
    return (revents & POLLIN) !== 0;
  }

  readAttribute(path: string): string {
    try {
      return readFileSync(path, 'utf8');
    } catch (e) {
      throw new SyscallError('open', fsErrno(e), path);
    }
  }

  listDirectory(path: string): string[] {
    try {
      return readdirSync(path);
    } catch (e) {
      throw new SyscallError('opendir', fsErrno(e), path);
    }
  }

  allocDma(size: number): { vaddr: bigint; bytes: Uint8Array } {
    const page = Number(this.fns.getpagesize());
    const length = Math.ceil(size / page) * page;
    const ptr = this.mapOrThrow(length, NO_FILE, 0n, MAP_SHARED | MAP_ANONYMOUS);
    return { vaddr: this.koffi.address(ptr), bytes: new Uint8Array(this.koffi.view(ptr, length)) };
  }
}
