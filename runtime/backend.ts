// The boundary between the runtime and what it drives: the shape of the system calls. The
// runtime encodes every argument with the generated codecs and hands bytes across; the
// simulated device decodes them the same way, and the Linux backend (koffi) passes them to
// the kernel unchanged. A refused call throws SyscallError with the errno.

export interface Backend {
  open(path: string): number;
  close(fd: number): void;
  /** `arg` bytes are passed by address (the kernel may read and write them); a number by value. */
  ioctl(fd: number, request: number, arg?: Uint8Array | number): number;
  read(fd: number, buf: Uint8Array): number;
  write(fd: number, buf: Uint8Array): number;
  pread(fd: number, buf: Uint8Array, offset: bigint): number;
  pwrite(fd: number, buf: Uint8Array, offset: bigint): number;
  /** A view of the mapped bytes; writes through it reach the device. */
  mmap(fd: number, offset: bigint, length: number): Uint8Array;
  /** An eventfd: write adds to its counter, read returns and clears it (EAGAIN when zero). */
  eventfd(): number;
  /**
   * Resolves true once a read of `fd` would not block (an eventfd's counter is non-zero), or
   * false after `timeoutMs`. The event loop keeps running meanwhile: this is how a driver
   * waits for an interrupt.
   */
  waitReadable(fd: number, timeoutMs: number): Promise<boolean>;
  /** A sysfs attribute (`.../mdev_type/device_api`). */
  readAttribute(path: string): string;
  /** The entries of a sysfs directory (`/sys/bus/mdev/devices`). */
  listDirectory(path: string): string[];
  /**
   * Memory of this process that DMA may reach: allocation returns its address and a view, both
   * rounded up to whole pages (what an IOMMU maps).
   */
  allocDma(size: number): { vaddr: bigint; bytes: Uint8Array };
}
