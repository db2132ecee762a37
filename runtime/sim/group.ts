// The simulated IOMMU group: joins one container, hands out the device's fd.
import { EBUSY, EINVAL, ENODEV, ENOTTY } from '../../generated/errno.js';
import { VFIO_GROUP_FLAGS, VFIO_GROUP_FLAGS_CONTAINER_SET, VFIO_GROUP_FLAGS_VIABLE, vfio_group_status, vfio_ioctls } from '../../generated/vfio.js';
import { s32 } from '../codegen-v1.js';
import { argszRequest, refuse, userBuffer, writeStruct } from './uaccess.js';
import type { SimContainer } from './container.js';
import type { SimKernel } from './kernel.js';
import type { SimVhostNetDevice } from './vhost-net-device.js';

const io = vfio_ioctls;

export class SimGroup {
  container: SimContainer | undefined;
  open = false;

  constructor(
    private readonly kernel: SimKernel,
    readonly id: number,
    readonly devices: Map<string, SimVhostNetDevice>,
  ) {}

  /** Closing the group's fd leaves its container, as the kernel's group release does. */
  release(): void {
    this.open = false;
    this.container?.groups.delete(this.id);
    this.container = undefined;
  }

  ioctl(request: number, arg: Uint8Array | number | undefined): number {
    switch (request) {
      case io.VFIO_GROUP_GET_STATUS.request: {
        const name = io.VFIO_GROUP_GET_STATUS.name;
        const { buf, req: s } = argszRequest(name, arg, vfio_group_status);
        const flags = this.container ? VFIO_GROUP_FLAGS.of(VFIO_GROUP_FLAGS_VIABLE, VFIO_GROUP_FLAGS_CONTAINER_SET) : VFIO_GROUP_FLAGS_VIABLE;
        writeStruct(vfio_group_status, { argsz: s.argsz, flags }, buf);
        return 0;
      }
      case io.VFIO_GROUP_SET_CONTAINER.request: {
        const name = io.VFIO_GROUP_SET_CONTAINER.name;
        const buf = userBuffer(name, arg, s32.size);
        if (this.container) refuse(name, EBUSY, 'the group is in a container already');
        const c = this.kernel.containerOf(s32.decode(new DataView(buf.buffer, buf.byteOffset), 0), name);
        this.container = c;
        c.groups.add(this.id);
        return 0;
      }
      case io.VFIO_GROUP_UNSET_CONTAINER.request:
        if (!this.container) refuse(io.VFIO_GROUP_UNSET_CONTAINER.name, EINVAL, 'not in a container');
        this.container.groups.delete(this.id);
        this.container = undefined;
        return 0;
      case io.VFIO_GROUP_GET_DEVICE_FD.request: {
        const name = io.VFIO_GROUP_GET_DEVICE_FD.name;
        const buf = userBuffer(name, arg, 1);
        const nul = buf.indexOf(0);
        if (nul < 0) refuse(name, EINVAL, 'the device name is not NUL-terminated');
        if (!this.container || this.container.iommu === undefined) refuse(name, EINVAL, 'set the container and its IOMMU first');
        const dev = this.devices.get(new TextDecoder().decode(buf.subarray(0, nul)));
        if (!dev) refuse(name, ENODEV, 'no such device in the group');
        dev.container = this.container;
        return this.kernel.newFd({ kind: 'device', device: dev });
      }
    }
    return refuse(`ioctl ${request}`, ENOTTY, 'not a group ioctl');
  }
}
