// Runs inside the QEMU guest (test/kernel/harness.sh): the unchanged runtime against the real
// kernel's vhost-net and VFIO. Prints one `KERNEL-TEST ok|not ok <name>: <detail>` line a check.
import { LinuxBackend } from '../../runtime/linux/backend.js';
import { VhostKernelTransport } from '../../runtime/vhost/kernel-transport.js';
import { decodeFeatures } from '../../runtime/vhost/features.js';
import { Container } from '../../runtime/vfio/container.js';
import { VFIO_TYPE1v2_IOMMU } from '../../generated/vfio.js';

const linux = new LinuxBackend();
let failed = 0;

function check(name: string, f: () => string): void {
  try {
    console.log(`KERNEL-TEST ok ${name}: ${f()}`);
  } catch (e) {
    failed++;
    console.log(`KERNEL-TEST not ok ${name}: ${(e as Error).message}`);
  }
}

check('vhost-net: SET_OWNER and GET_FEATURES through the vhost-kernel transport', () => {
  const t = new VhostKernelTransport(linux);
  t.setOwner();
  const features = decodeFeatures(t.getFeatures());
  t.close();
  return features.names.join(' ');
});

check('vfio: container API version and the Type1 v2 extension', () => {
  const c = new Container(linux);
  const type1v2 = c.checkExtension(VFIO_TYPE1v2_IOMMU);
  c.close();
  if (!type1v2) throw new Error('no Type1 v2 IOMMU');
  return 'VFIO_GET_API_VERSION matches, TYPE1v2 offered';
});

console.log(`KERNEL-TEST done ${failed} failed`);
