// The vhost request set as ioctls on an in-kernel vhost device (/dev/vhost-net): the other
// implementation of VhostTransport. The kernel adds what a vhost driver needs beyond the RFC's
// messages: a memory table (userspace addresses the rings and buffers live at), kick and call
// eventfds per ring, and the tap device a net ring is attached to. DEVICE_SET_STATE has no
// ioctl here: RUNNING attaches each ring's backend, STOPPED detaches it (fd -1).
import { u64 } from '../codegen-v1.js';
import { vhost_ioctls, vhost_memory, vhost_vring_addr, vhost_vring_file, vhost_vring_state } from '../../generated/vhost.js';
import { VHOST_DEVICE_S_RUNNING, VHOST_DEVICE_S_STOPPED } from '../../generated/vfio_vhost.js';
import { Backend } from '../backend.js';
import { callIoctl } from '../vfio/ioctl.js';
import { NO_FILE } from '../policy.js';
import { VhostTransport } from './transport.js';

const io = vhost_ioctls;

export interface MemoryRegion {
  guestPhysAddr: bigint;
  size: bigint;
  userspaceAddr: bigint;
}

export class VhostKernelTransport implements VhostTransport {
  readonly fd: number;
  /** The backend fd (a tap) each ring is attached to on RUNNING. */
  private readonly backends: number[] = [];
  /** The memory table as mapDma built it. */
  private readonly regions: MemoryRegion[] = [];

  constructor(
    readonly backend: Backend,
    path = '/dev/vhost-net',
  ) {
    this.fd = backend.open(path);
  }

  private u64Arg(v: bigint): Uint8Array {
    const b = new Uint8Array(u64.size);
    u64.encode(v, new DataView(b.buffer), 0);
    return b;
  }

  setOwner(): void {
    callIoctl(this.backend, this.fd, io.VHOST_SET_OWNER);
  }
  resetOwner(): void {
    callIoctl(this.backend, this.fd, io.VHOST_RESET_OWNER);
  }
  getFeatures(): bigint {
    const b = new Uint8Array(u64.size);
    callIoctl(this.backend, this.fd, io.VHOST_GET_FEATURES, b);
    return u64.decode(new DataView(b.buffer), 0);
  }
  setFeatures(features: bigint): void {
    callIoctl(this.backend, this.fd, io.VHOST_SET_FEATURES, this.u64Arg(features));
  }
  setLogBase(address: bigint): void {
    callIoctl(this.backend, this.fd, io.VHOST_SET_LOG_BASE, this.u64Arg(address));
  }
  setVringNum(index: number, num: number): void {
    callIoctl(this.backend, this.fd, io.VHOST_SET_VRING_NUM, vhost_vring_state.toBytes({ index, num }));
  }
  setVringAddr(addr: vhost_vring_addr): void {
    callIoctl(this.backend, this.fd, io.VHOST_SET_VRING_ADDR, vhost_vring_addr.toBytes(addr));
  }
  setVringBase(index: number, base: number): void {
    callIoctl(this.backend, this.fd, io.VHOST_SET_VRING_BASE, vhost_vring_state.toBytes({ index, num: base }));
  }
  getVringBase(index: number): number {
    const b = vhost_vring_state.toBytes({ index, num: 0 });
    callIoctl(this.backend, this.fd, io.VHOST_GET_VRING_BASE, b);
    return vhost_vring_state.fromBytes(b).num;
  }

  /**
   * Makes memory reachable by the in-kernel device, as DmaMapper: vhost's memory table is its
   * IOMMU (descriptor addresses are looked up in it). The whole table is sent again each time.
   */
  mapDma(vaddr: bigint, iova: bigint, size: bigint): void {
    this.regions.push({ guestPhysAddr: iova, size, userspaceAddr: vaddr });
    this.setMemTable(this.regions);
  }

  /** Where the driver's memory is: ring and buffer addresses are userspace addresses within it. */
  setMemTable(regions: MemoryRegion[]): void {
    const table = vhost_memory.toBytes({
      nregions: regions.length,
      padding: 0,
      regions: regions.map((r) => ({ guest_phys_addr: r.guestPhysAddr, memory_size: r.size, userspace_addr: r.userspaceAddr, flags_padding: 0n })),
    });
    callIoctl(this.backend, this.fd, io.VHOST_SET_MEM_TABLE, table);
  }
  setVringKick(index: number, eventfd: number): void {
    callIoctl(this.backend, this.fd, io.VHOST_SET_VRING_KICK, vhost_vring_file.toBytes({ index, fd: eventfd }));
  }
  setVringCall(index: number, eventfd: number): void {
    callIoctl(this.backend, this.fd, io.VHOST_SET_VRING_CALL, vhost_vring_file.toBytes({ index, fd: eventfd }));
  }
  /**
   * An eventfd the kernel signals when ring `index` holds something it refuses (vq_err: a head
   * or next out of range, a loop, a bad indirect table, an address outside the memory table).
   * vhost then stops at that chain; without this, the only sign is a ring that stops moving.
   */
  setVringErr(index: number, eventfd: number): void {
    callIoctl(this.backend, this.fd, io.VHOST_SET_VRING_ERR, vhost_vring_file.toBytes({ index, fd: eventfd }));
  }
  /** The tap (or other backend fd) ring `index` sends to and receives from once RUNNING. */
  setNetBackend(index: number, fd: number): void {
    this.backends[index] = fd;
  }

  setState(state: number): void {
    const attach = state === VHOST_DEVICE_S_RUNNING;
    if (!attach && state !== VHOST_DEVICE_S_STOPPED) throw new RangeError(`vhost-net has no state ${state}`);
    this.backends.forEach((fd, index) => {
      callIoctl(this.backend, this.fd, io.VHOST_NET_SET_BACKEND, vhost_vring_file.toBytes({ index, fd: attach ? fd : NO_FILE }));
    });
  }

  close(): void {
    this.backend.close(this.fd);
  }
}

