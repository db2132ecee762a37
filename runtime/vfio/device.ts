// A VFIO device: its info, regions (with their capability chains), IRQs, and region I/O.
import { s32, u16 } from '../codegen-v1.js';
import { PCI_COMMAND, PCI_COMMAND_MASTER } from '../../generated/pci_regs.js';
import {
  VFIO_IRQ_INFO, VFIO_IRQ_SET, VFIO_PCI_CONFIG_REGION_INDEX, VFIO_IRQ_SET_ACTION_TRIGGER, VFIO_IRQ_SET_DATA_EVENTFD, VFIO_IRQ_SET_DATA_NONE,
  VFIO_REGION_INFO_FLAG, VFIO_REGION_INFO_FLAG_CAPS, vfio_device_info, vfio_ioctls, vfio_irq_info, vfio_irq_set, vfio_region_info,
  vfio_region_info_capabilities,
} from '../../generated/vfio.js';
import { Backend } from '../backend.js';
import { argszQuery, callIoctl } from './ioctl.js';
import { Capability, walkCapabilities } from './capabilities.js';
import { Registers } from './registers.js';

const io = vfio_ioctls;

export interface DeviceInfo {
  flags: number;
  numRegions: number;
  numIrqs: number;
}

export interface RegionInfo {
  index: number;
  flags: number;
  flagNames: string[];
  size: bigint;
  /** Where the region starts in the device fd's file offsets. */
  offset: bigint;
  caps: Capability[];
  /** How many GET_REGION_INFO calls it took (2 when the chain did not fit the first buffer). */
  rounds: number;
}

export interface IrqInfo {
  index: number;
  flags: number;
  flagNames: string[];
  count: number;
}

export class Device {
  constructor(
    readonly backend: Backend,
    readonly fd: number,
    readonly name: string,
  ) {}

  info(): DeviceInfo {
    const arg = vfio_device_info.toBytes({ ...vfio_device_info.zero(), argsz: vfio_device_info.size });
    callIoctl(this.backend, this.fd, io.VFIO_DEVICE_GET_INFO, arg);
    const v = vfio_device_info.fromBytes(arg);
    return { flags: v.flags, numRegions: v.num_regions, numIrqs: v.num_irqs };
  }

  regionInfo(index: number): RegionInfo {
    const { value, bytes, rounds } = argszQuery(this.backend, this.fd, io.VFIO_DEVICE_GET_REGION_INFO, vfio_region_info, { flags: VFIO_REGION_INFO_FLAG.none, index, cap_offset: 0, size: 0n, offset: 0n });
    const hasCaps = VFIO_REGION_INFO_FLAG.has(value.flags, VFIO_REGION_INFO_FLAG_CAPS) && value.cap_offset !== 0;
    return {
      index,
      flags: value.flags,
      flagNames: VFIO_REGION_INFO_FLAG.decode(value.flags).names,
      size: value.size,
      offset: value.offset,
      caps: hasCaps ? walkCapabilities(bytes, value.cap_offset, vfio_region_info_capabilities) : [],
      rounds,
    };
  }

  irqInfo(index: number): IrqInfo {
    const arg = vfio_irq_info.toBytes({ argsz: vfio_irq_info.size, flags: VFIO_IRQ_INFO.none, index, count: 0 });
    callIoctl(this.backend, this.fd, io.VFIO_DEVICE_GET_IRQ_INFO, arg);
    const v = vfio_irq_info.fromBytes(arg);
    return { index, flags: v.flags, flagNames: VFIO_IRQ_INFO.decode(v.flags).names, count: v.count };
  }

  /** Triggers of IRQs start.. of an index signal these eventfds (-1 detaches one). */
  setIrqEventfds(index: number, start: number, fds: number[]): void {
    const data = new Uint8Array(fds.length * s32.size);
    fds.forEach((fd, k) => s32.encode(fd, new DataView(data.buffer), k * s32.size));
    const arg = vfio_irq_set.toBytes({
      argsz: vfio_irq_set.size + data.length,
      flags: VFIO_IRQ_SET.of(VFIO_IRQ_SET_DATA_EVENTFD, VFIO_IRQ_SET_ACTION_TRIGGER),
      index,
      start,
      count: fds.length,
      data: [...data],
    });
    callIoctl(this.backend, this.fd, io.VFIO_DEVICE_SET_IRQS, arg);
  }

  /** Detaches every trigger of an IRQ index. */
  disableIrqs(index: number): void {
    const arg = vfio_irq_set.toBytes({ argsz: vfio_irq_set.size, flags: VFIO_IRQ_SET.of(VFIO_IRQ_SET_DATA_NONE, VFIO_IRQ_SET_ACTION_TRIGGER), index, start: 0, count: 0, data: [] });
    callIoctl(this.backend, this.fd, io.VFIO_DEVICE_SET_IRQS, arg);
  }

  reset(): void {
    callIoctl(this.backend, this.fd, io.VFIO_DEVICE_RESET);
  }

  read(region: RegionInfo, offset: bigint, buf: Uint8Array): number {
    return this.backend.pread(this.fd, buf, region.offset + offset);
  }

  write(region: RegionInfo, offset: bigint, buf: Uint8Array): number {
    return this.backend.pwrite(this.fd, buf, region.offset + offset);
  }

  mmap(region: RegionInfo, offset: bigint, length: number): Uint8Array {
    return this.backend.mmap(this.fd, region.offset + offset, length);
  }

  /**
   * A PCI function may not master the bus (do DMA) until its driver sets PCI_COMMAND_MASTER in
   * the command register of config space; vfio-pci leaves that to user space.
   */
  enablePciBusMaster(): void {
    const config = this.regionInfo(VFIO_PCI_CONFIG_REGION_INDEX);
    const command = new Uint8Array(u16.size);
    this.read(config, BigInt(PCI_COMMAND), command);
    const view = new DataView(command.buffer);
    u16.encode(u16.decode(view, 0) | PCI_COMMAND_MASTER, view, 0);
    this.write(config, BigInt(PCI_COMMAND), command);
  }

  /** A region's registers through an mmap of all of it, each access of its exact width. */
  registers(region: RegionInfo): Registers {
    return new Registers(this.mmap(region, 0n, Number(region.size)));
  }

  close(): void {
    this.backend.close(this.fd);
  }
}
