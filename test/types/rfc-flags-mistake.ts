// Compiled by `npm run build` (tsc, strict): each @ts-expect-error line must be a compile error,
// or the build fails with "Unused '@ts-expect-error' directive". The RFC's vfio-vhost driver
// ORed the ioctl number VFIO_DEVICE_RESET into vfio_device_info.flags where it meant the flag
// VFIO_DEVICE_FLAGS_RESET; with generated flag families that line does not compile.
import { VFIO_DEVICE_FLAGS, VFIO_DEVICE_FLAGS_RESET, VFIO_DEVICE_RESET, VFIO_REGION_INFO_FLAG_READ, vfio_device_info } from '../../generated/vfio.js';
import { VFIO_DEVICE_FLAGS_VHOST } from '../../generated/vfio_vhost.js';

export function rfcDriverGetInfo(): number {
  const info = vfio_device_info.zero();
  // @ts-expect-error the RFC's line: an ioctl number ORed into device flags
  info.flags = VFIO_DEVICE_FLAGS_VHOST | VFIO_DEVICE_RESET;
  // @ts-expect-error the same mistake through the family helper
  info.flags = VFIO_DEVICE_FLAGS.of(VFIO_DEVICE_FLAGS_VHOST, VFIO_DEVICE_RESET);
  // @ts-expect-error a flag of another family (vfio_region_info.flags)
  info.flags = VFIO_DEVICE_FLAGS.of(VFIO_REGION_INFO_FLAG_READ);
  // What the driver meant compiles:
  info.flags = VFIO_DEVICE_FLAGS.of(VFIO_DEVICE_FLAGS_VHOST, VFIO_DEVICE_FLAGS_RESET);
  info.num_regions = 2;
  return info.flags;
}
