// The simulated kernel behind the Backend boundary: a process's fd table, its memory, a VFIO
// container, one IOMMU group holding one vfio-vhost net device, eventfds, and the sysfs
// attributes that describe the device. Everything crosses as bytes, as with the real kernel.
import { EAGAIN, EBADF, EBUSY, EINVAL, ENOENT, ENOMEM, ENOTTY } from '../../generated/errno.js';
import { VFIO_DEVICE_API_VHOST_STRING } from '../../generated/vfio_vhost.js';
import { u64 } from '../codegen-v1.js';
import { Backend } from '../backend.js';
import { SimContainer } from './container.js';
import { refuse } from './uaccess.js';
import { SimEventfd } from './eventfd.js';
import { SimGroup } from './group.js';
import { DEVICE_NAME, DMA_BASE_VADDR, DMA_MEMORY_SIZE, FIRST_FD, GROUP_ID, PAGE_SIZE } from './parameters.js';
import { SimLayout, SimVhostNetDevice } from './vhost-net-device.js';

export type Handle =
  | { kind: 'container'; container: SimContainer }
  | { kind: 'group'; group: SimGroup }
  | { kind: 'device'; device: SimVhostNetDevice }
  | { kind: 'eventfd'; eventfd: SimEventfd };

export class SimKernel implements Backend {
  private readonly fds = new Map<number, Handle>();
  private nextFd = FIRST_FD;
  private allocated = 0;
  readonly memory = new SharedArrayBuffer(DMA_MEMORY_SIZE);
  readonly device: SimVhostNetDevice;
  readonly group: SimGroup;

  /** `layout`: where the regions are (vhost-net-device.ts); `ringErrors: false` leaves the ERR IRQ out, as the RFC's device has none. */
  constructor(opts: { layout?: SimLayout; ringErrors?: boolean } = {}) {
    this.device = new SimVhostNetDevice(opts.layout ?? 'typed', (fd, syscall) => this.eventfdOf(fd, syscall), opts.ringErrors ?? true);
    this.group = new SimGroup(this, GROUP_ID, new Map([[DEVICE_NAME, this.device]]));
  }

  newFd(h: Handle): number {
    const fd = this.nextFd++;
    this.fds.set(fd, h);
    return fd;
  }

  private handle(fd: number, syscall: string): Handle {
    const h = this.fds.get(fd);
    if (!h) refuse(syscall, EBADF, `fd ${fd} is not open`);
    return h;
  }

  containerOf(fd: number, syscall: string): SimContainer {
    const h = this.handle(fd, syscall);
    if (h.kind !== 'container') refuse(syscall, EBADF, `fd ${fd} is not a container`);
    return h.container;
  }

  eventfdOf(fd: number, syscall: string): SimEventfd {
    const h = this.handle(fd, syscall);
    if (h.kind !== 'eventfd') refuse(syscall, EBADF, `fd ${fd} is not an eventfd`);
    return h.eventfd;
  }

  open(path: string): number {
    if (path === '/dev/vfio/vfio') return this.newFd({ kind: 'container', container: new SimContainer(this) });
    if (path === `/dev/vfio/${GROUP_ID}`) {
      if (this.group.open) refuse('open', EBUSY, `${path} is open already`);
      this.group.open = true;
      return this.newFd({ kind: 'group', group: this.group });
    }
    return refuse('open', ENOENT, path);
  }

  close(fd: number): void {
    const h = this.handle(fd, 'close');
    if (h.kind === 'group') h.group.release();
    this.fds.delete(fd);
  }

  ioctl(fd: number, request: number, arg?: Uint8Array | number): number {
    const h = this.handle(fd, 'ioctl');
    switch (h.kind) {
      case 'container':
        return h.container.ioctl(request, arg);
      case 'group':
        return h.group.ioctl(request, arg);
      case 'device':
        return h.device.ioctl(request, arg);
      case 'eventfd':
        return refuse(`ioctl ${request}`, ENOTTY, 'an eventfd takes no ioctl');
    }
  }

  read(fd: number, buf: Uint8Array): number {
    const e = this.eventfdOf(fd, 'read');
    if (buf.length < u64.size) refuse('read', EINVAL, 'an eventfd is read 8 bytes at a time');
    const v = e.take();
    if (v === undefined) refuse('read', EAGAIN, 'the eventfd counter is zero');
    u64.encode(v, new DataView(buf.buffer, buf.byteOffset, buf.length), 0);
    return u64.size;
  }

  write(fd: number, buf: Uint8Array): number {
    const e = this.eventfdOf(fd, 'write');
    if (buf.length < u64.size) refuse('write', EINVAL, 'an eventfd is written 8 bytes at a time');
    e.signal(u64.decode(new DataView(buf.buffer, buf.byteOffset, buf.length), 0));
    return u64.size;
  }

  private deviceOf(fd: number, syscall: string): SimVhostNetDevice {
    const h = this.handle(fd, syscall);
    if (h.kind !== 'device') refuse(syscall, EINVAL, `fd ${fd} is not a device`);
    return h.device;
  }

  pread(fd: number, buf: Uint8Array, offset: bigint): number {
    return this.deviceOf(fd, 'pread').pread(buf, offset);
  }

  pwrite(fd: number, buf: Uint8Array, offset: bigint): number {
    return this.deviceOf(fd, 'pwrite').pwrite(buf, offset);
  }

  mmap(fd: number, offset: bigint, length: number): Uint8Array {
    return this.deviceOf(fd, 'mmap').mmap(offset, length);
  }

  eventfd(): number {
    return this.newFd({ kind: 'eventfd', eventfd: new SimEventfd() });
  }

  waitReadable(fd: number, timeoutMs: number): Promise<boolean> {
    const e = this.eventfdOf(fd, 'poll');
    return new Promise((resolve) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      let woken = false;
      const cancel = e.whenReadable(() => {
        woken = true;
        clearTimeout(timer);
        resolve(true);
      });
      // Already readable: no timer left behind to keep the process waiting.
      if (!woken) {
        timer = setTimeout(() => {
          cancel();
          resolve(false);
        }, timeoutMs);
      }
    });
  }

  readAttribute(path: string): string {
    if (path === `/sys/bus/mdev/devices/${DEVICE_NAME}/mdev_type/device_api`) return `${VFIO_DEVICE_API_VHOST_STRING}\n`;
    if (path === `/sys/bus/mdev/devices/${DEVICE_NAME}/iommu_group`) return `${GROUP_ID}\n`;
    return refuse('open', ENOENT, path);
  }

  listDirectory(path: string): string[] {
    if (path === '/sys/bus/mdev/devices') return [DEVICE_NAME];
    return refuse('opendir', ENOENT, path);
  }

  allocDma(size: number): { vaddr: bigint; bytes: Uint8Array } {
    const length = Math.ceil(size / PAGE_SIZE) * PAGE_SIZE;
    if (this.allocated + length > DMA_MEMORY_SIZE) refuse('mmap', ENOMEM, `${length} more bytes of DMA memory`);
    const offset = this.allocated;
    this.allocated += length;
    return { vaddr: DMA_BASE_VADDR + BigInt(offset), bytes: new Uint8Array(this.memory, offset, length) };
  }

  isProcessMemory(vaddr: bigint, size: bigint): boolean {
    return vaddr >= DMA_BASE_VADDR && vaddr + size <= DMA_BASE_VADDR + BigInt(this.allocated);
  }

  /** All of the process memory DMA may reach, as one array (device views index into it). */
  readonly processBytes = new Uint8Array(this.memory);

  memoryOffset(vaddr: bigint): number {
    return Number(vaddr - DMA_BASE_VADDR);
  }
}
