// Runs inside the QEMU guest (test/kernel/harness.sh): the unchanged runtime against the real
// kernel's vhost-net and VFIO. Prints one `KERNEL-TEST ok|not ok <name>: <detail>` line a check.
import { LinuxBackend } from '../../runtime/linux/backend.js';
import { VhostKernelTransport } from '../../runtime/vhost/kernel-transport.js';
import { decodeFeatures } from '../../runtime/vhost/features.js';
import { Container } from '../../runtime/vfio/container.js';
import { readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { VFIO_DEVICE_FLAGS, VFIO_PCI_BAR0_REGION_INDEX, VFIO_PCI_MSI_IRQ_INDEX, VFIO_REGION_INFO_FLAG, VFIO_REGION_INFO_FLAG_MMAP, VFIO_TYPE1v2_IOMMU } from '../../generated/vfio.js';
import { Group } from '../../runtime/vfio/group.js';
import { Device, RegionInfo } from '../../runtime/vfio/device.js';
import { u32 } from '../../runtime/codegen-v1.js';
import { IoctlError } from '../../runtime/errors.js';
import { EINVAL } from '../../generated/errno.js';

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

/** QEMU's teaching device: PCI 1234:11e8, BAR0 of 1 MiB whose first register reads 0x010000ed. */
const EDU = { vendor: '0x1234', device: '0x11e8', id: 0x010000ed };
let edu: { device: Device; bar0: RegionInfo } | undefined;

check('vfio on a real PCI function (edu): group, device, GET_INFO, regions, BAR0 by pread', () => {
  const pci = '/sys/bus/pci/devices';
  const addr = readdirSync(pci).find((d) => readFileSync(`${pci}/${d}/vendor`, 'utf8').trim() === EDU.vendor && readFileSync(`${pci}/${d}/device`, 'utf8').trim() === EDU.device);
  if (!addr) throw new Error('no edu device on the PCI bus');
  writeFileSync('/sys/bus/pci/drivers/vfio-pci/new_id', `${EDU.vendor.slice(2)} ${EDU.device.slice(2)}`);
  const groupId = Number(basename(readlinkSync(`${pci}/${addr}/iommu_group`)));
  const container = new Container(linux);
  const group = new Group(linux, groupId);
  if (!group.status().viable) throw new Error(`group ${groupId} is not viable`);
  group.setContainer(container);
  container.setIommu(VFIO_TYPE1v2_IOMMU);
  const device = new Device(linux, group.deviceFd(addr), addr);
  const info = device.info();
  const flags = VFIO_DEVICE_FLAGS.decode(info.flags).names;
  if (!flags.includes('PCI')) throw new Error(`flags ${flags.join(' ')}`);
  // vfio-pci refuses the VGA region of a device without VGA with EINVAL: absent, not an error.
  const regions = Array.from({ length: info.numRegions }, (_, i) => {
    try {
      return device.regionInfo(i);
    } catch (e) {
      if (e instanceof IoctlError && e.errno === EINVAL) return undefined;
      throw e;
    }
  });
  const bar0 = regions[VFIO_PCI_BAR0_REGION_INDEX];
  if (!bar0) throw new Error('no BAR0');
  if (!VFIO_REGION_INFO_FLAG.has(bar0.flags, VFIO_REGION_INFO_FLAG_MMAP)) throw new Error('BAR0 is not mappable');
  const viaRead = new Uint8Array(u32.size);
  device.read(bar0, 0n, viaRead);
  const id = u32.decode(new DataView(viaRead.buffer), 0);
  if (id !== EDU.id) throw new Error(`BAR0 identification register 0x${id.toString(16)} (pread), expected 0x${EDU.id.toString(16)}`);
  edu = { device, bar0 };
  const msi = device.irqInfo(VFIO_PCI_MSI_IRQ_INDEX);
  const iommu = container.iommuInfo();
  const absent = regions.flatMap((r, i) => (r ? [] : [i]));
  return `${addr} group ${groupId}: flags ${flags.join(' ')}; ${info.numRegions} regions (refused: ${absent.join(', ') || 'none'}), BAR0 ${bar0.size} bytes [${bar0.flagNames.join(' ')}], id 0x${id.toString(16)} by pread; MSI count ${msi.count}; IOMMU caps ${iommu.caps.map((c) => c.name).join(' ')}`;
});

check('vfio on edu: the identification register through an mmap of BAR0', () => {
  if (!edu) throw new Error('the device was not opened');
  const mapped = edu.device.mmap(edu.bar0, 0n, Number(edu.bar0.size));
  const id = u32.decode(new DataView(mapped.buffer, mapped.byteOffset), 0);
  if (id !== EDU.id) throw new Error(`BAR0 identification register 0x${id.toString(16)} through the mapping, expected 0x${EDU.id.toString(16)}`);
  return `0x${id.toString(16)}`;
});

console.log(`KERNEL-TEST done ${failed} failed`);
