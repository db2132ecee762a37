// A VFIO group: the unit of isolation; it joins a container and hands out device fds.
import { s32 } from '../codegen-v1.js';
import { VFIO_GROUP_FLAGS, VFIO_GROUP_FLAGS_CONTAINER_SET, VFIO_GROUP_FLAGS_VIABLE, vfio_group_status, vfio_ioctls } from '../../generated/vfio.js';
import { Backend } from '../backend.js';
import { Container } from './container.js';
import { callIoctl } from './ioctl.js';

const io = vfio_ioctls;

export class Group {
  readonly fd: number;

  constructor(
    readonly backend: Backend,
    readonly id: number,
  ) {
    this.fd = backend.open(`/dev/vfio/${id}`);
  }

  status(): { viable: boolean; containerSet: boolean; flags: ReturnType<typeof VFIO_GROUP_FLAGS.decode> } {
    const arg = vfio_group_status.toBytes({ argsz: vfio_group_status.size, flags: VFIO_GROUP_FLAGS.none });
    callIoctl(this.backend, this.fd, io.VFIO_GROUP_GET_STATUS, arg);
    const { flags } = vfio_group_status.fromBytes(arg);
    return { viable: VFIO_GROUP_FLAGS.has(flags, VFIO_GROUP_FLAGS_VIABLE), containerSet: VFIO_GROUP_FLAGS.has(flags, VFIO_GROUP_FLAGS_CONTAINER_SET), flags: VFIO_GROUP_FLAGS.decode(flags) };
  }

  setContainer(container: Container): void {
    const arg = new Uint8Array(s32.size);
    s32.encode(container.fd, new DataView(arg.buffer), 0);
    callIoctl(this.backend, this.fd, io.VFIO_GROUP_SET_CONTAINER, arg);
  }

  /** The device's fd, by the name the group knows it under (a PCI address, an mdev UUID). */
  deviceFd(name: string): number {
    return callIoctl(this.backend, this.fd, io.VFIO_GROUP_GET_DEVICE_FD, new TextEncoder().encode(`${name}\0`));
  }

  close(): void {
    this.backend.close(this.fd);
  }
}
