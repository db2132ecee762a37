// Opening a vfio-vhost device end to end: container, group, device, its regions found by
// type, its IRQs (calls, and ring errors where the device reports them), and the vhost
// transport over its config region.
import { defineFlags } from '../codegen-v1.js';
import { VFIO_DEVICE_FLAGS, VFIO_TYPE1v2_IOMMU } from '../../generated/vfio.js';
import { VFIO_DEVICE_FLAGS_VHOST, VFIO_VHOST_ERR_IRQ_INDEX, VFIO_VHOST_VQ_IRQ_INDEX } from '../../generated/vfio_vhost.js';
import { VHOST_VRING } from '../../generated/vhost.js';
import { u32 } from '../codegen-v1.js';
import { Backend } from '../backend.js';
import { Container } from '../vfio/container.js';
import { Device, DeviceInfo, IrqInfo } from '../vfio/device.js';
import { Group } from '../vfio/group.js';
import { discoverVhostRegions, VhostRegions } from './discover.js';
import { VfioVhostTransport } from './vfio-transport.js';

/**
 * vfio_device_info.flags as the RFC reads them: linux/vfio.h's family plus VHOST. Bit 6 is
 * also FSL_MC in linux/vfio.h: `uapigen diff` reports the collision, and decoding names both.
 */
export const VHOST_DEVICE_FLAGS = defineFlags('vfio_device_info.flags', { ...VFIO_DEVICE_FLAGS.members, VHOST: VFIO_DEVICE_FLAGS_VHOST }, { ...VFIO_DEVICE_FLAGS.kinds, VHOST: 'bit' });

export interface VfioVhostDeviceOptions {
  /** The IOMMU group number and the device's name in it (an mdev UUID). */
  group: number;
  name: string;
}

export class VfioVhostDevice {
  readonly container: Container;
  readonly group: Group;
  readonly device: Device;
  readonly info: DeviceInfo;
  readonly api: string;
  readonly regions: VhostRegions;
  readonly vqIrq: IrqInfo;
  /** The ERR IRQ (uapi/vfio_vhost.h), or undefined on a device with no such index, as the RFC's. */
  readonly errIrq: IrqInfo | undefined;
  readonly vhost: VfioVhostTransport;
  /** The word a kick writes, one for every kick: a kick is the datapath's, made per batch. */
  private readonly doorbellBytes = new Uint8Array(u32.size);
  private readonly doorbell = new DataView(this.doorbellBytes.buffer);

  constructor(
    readonly backend: Backend,
    opts: VfioVhostDeviceOptions,
  ) {
    this.container = new Container(backend);
    this.group = new Group(backend, opts.group);
    if (!this.group.status().viable) throw new Error(`group ${opts.group} is not viable: bind all its devices to vfio`);
    this.group.setContainer(this.container);
    if (!this.container.checkExtension(VFIO_TYPE1v2_IOMMU)) throw new Error('the container does not offer the Type1 v2 IOMMU');
    this.container.setIommu(VFIO_TYPE1v2_IOMMU);
    this.device = new Device(backend, this.group.deviceFd(opts.name), opts.name);
    this.info = this.device.info();
    this.api = backend.readAttribute(`/sys/bus/mdev/devices/${opts.name}/mdev_type/device_api`).trim();
    this.regions = discoverVhostRegions(this.device, this.info, this.api);
    this.vqIrq = this.device.irqInfo(VFIO_VHOST_VQ_IRQ_INDEX);
    this.errIrq = this.info.numIrqs > VFIO_VHOST_ERR_IRQ_INDEX ? this.device.irqInfo(VFIO_VHOST_ERR_IRQ_INDEX) : undefined;
    this.vhost = new VfioVhostTransport(this.device, this.regions.config);
  }

  /**
   * Gives the device a queue, as vhost takes one: its size, the avail index it starts from, and
   * where its three parts are (IOVAs: the device reaches them through the container's IOMMU).
   * `ring` is what allocSplitRing returns, or anything with the three IOVAs.
   */
  setUpQueue(queue: number, num: number, ring: { desc: { iova: bigint }; avail: { iova: bigint }; used: { iova: bigint } }, base = 0): void {
    this.vhost.setVringNum(queue, num);
    this.vhost.setVringBase(queue, base);
    this.vhost.setVringAddr({ index: queue, flags: VHOST_VRING.none, desc_user_addr: ring.desc.iova, avail_user_addr: ring.avail.iova, used_user_addr: ring.used.iova, log_guest_addr: 0n });
  }

  /** The call eventfds, one per queue from 0: the device signals them when it has used buffers. */
  attachCallEventfds(fds: number[]): void {
    this.device.setIrqEventfds(VFIO_VHOST_VQ_IRQ_INDEX, 0, fds);
  }

  /** Whether the device says when it stops a queue over a ring it refuses: its ERR IRQ has a count. */
  get reportsRingErrors(): boolean {
    return (this.errIrq?.count ?? 0) > 0;
  }

  /**
   * The error eventfds, one per queue from 0: the device signals one when it stops that queue
   * over a ring it refuses, and at each kick while it stays stopped (vhost's VHOST_SET_VRING_ERR).
   * Refused before any ioctl on a device that does not report ring errors: a driver of one can
   * only notice a queue that stops moving.
   */
  attachErrorEventfds(fds: number[]): void {
    if (!this.reportsRingErrors) throw new Error(`${this.device.name}: the device does not report ring errors (its ERR IRQ ${this.errIrq ? 'has count 0' : 'is missing'})`);
    this.device.setIrqEventfds(VFIO_VHOST_ERR_IRQ_INDEX, 0, fds);
  }

  /** Where queue q's doorbell is: its sparse-mmap area, else one equal share of the region per queue. */
  notifyOffset(queue: number): bigint {
    const area = this.regions.notifyAreas[queue];
    if (area) return area.offset;
    return (this.regions.notify.size / BigInt(Math.max(1, this.vqIrq.count))) * BigInt(queue);
  }

  /** Kicks a queue: writes its index at its doorbell. */
  kick(queue: number): void {
    u32.encode(queue, this.doorbell, 0);
    this.device.write(this.regions.notify, this.notifyOffset(queue), this.doorbellBytes);
  }

  close(): void {
    this.device.close();
    this.group.close();
    this.container.close();
  }
}
