// `uapigen devices [--sim typed|fixed] [--kernel]`: lists devices the way `lspci -v` would.
// describeVfio is what VFIO tells of any device (flags by name, each region with its capability
// chain, each IRQ index); a vfio-vhost device adds its API string, region roles and vhost
// features; --kernel lists what a real kernel has bound to vfio-pci.
import { ENOENT } from '../generated/errno.js';
import { VFIO_DEVICE_FLAGS, VFIO_TYPE1v2_IOMMU } from '../generated/vfio.js';
import { VFIO_VHOST_ERR_IRQ_INDEX, VFIO_VHOST_VQ_IRQ_INDEX } from '../generated/vfio_vhost.js';
import type { FlagFamily, Flags } from './codegen-v1.js';
import { Backend } from './backend.js';
import { SyscallError } from './errors.js';
import { Capability } from './vfio/capabilities.js';
import { Container } from './vfio/container.js';
import { Device, DeviceInfo } from './vfio/device.js';
import { Group } from './vfio/group.js';
import { decodeFeatures } from './vhost/features.js';
import { VHOST_DEVICE_FLAGS, VfioVhostDevice } from './vhost/vfio-vhost-device.js';

const hex = (v: bigint | number) => `0x${v.toString(16)}`;

function describeCap(c: Capability): string {
  const v = c.value ?? {};
  const fields = Object.entries(v)
    .filter(([k]) => k !== 'header')
    .map(([k, x]) => `${k}=${Array.isArray(x) ? `[${x.map((e) => (typeof e === 'object' && e ? Object.entries(e).map(([a, b]) => `${a}:${typeof b === 'bigint' ? hex(b) : String(b)}`).join(' ') : String(e))).join(', ')}]` : typeof x === 'bigint' ? hex(x) : String(x)}`);
  return `${c.name ?? `id ${c.id}`} v${c.version} @${c.offset}${fields.length ? ` { ${fields.join(', ')} }` : ''}`;
}

/** The answer, or the errno name the kernel refused the call with. */
function refusedAs<T>(f: () => T): T | string {
  try {
    return f();
  } catch (e) {
    if (e instanceof SyscallError) return e.code;
    throw e;
  }
}

/** What a device's regions and IRQ indexes are for, where the caller knows it. */
export interface Roles {
  region?: (index: number) => string | undefined;
  irq?: (index: number) => string | undefined;
}

const roleText = (roleOf: ((index: number) => string | undefined) | undefined, index: number) => {
  const role = roleOf?.(index);
  return role ? ` (${role})` : '';
};

/**
 * What VFIO itself tells of any device, the part a real kernel and the simulator share: device
 * flags by name, each region with its capability chain, and each IRQ index. An index the
 * kernel refuses is listed with its errno: vfio-pci refuses the VGA region of a device without
 * VGA, and the ERR IRQ of one that is not PCI Express.
 */
export function describeVfio(device: Device, info: DeviceInfo, flags: FlagFamily<'vfio_device_info.flags', Record<string, Flags<'vfio_device_info.flags'>>> = VFIO_DEVICE_FLAGS, roles: Roles = {}): string[] {
  const out: string[] = [];
  const decoded = flags.decode(info.flags as Flags<'vfio_device_info.flags'>);
  out.push(`  flags: ${decoded.names.join(' ')}${decoded.unknown ? ` unknown ${hex(decoded.unknown)}` : ''}`);
  for (let index = 0; index < info.numRegions; index++) {
    const r = refusedAs(() => device.regionInfo(index));
    if (typeof r === 'string') {
      out.push(`  region ${index}: refused (${r})`);
      continue;
    }
    out.push(`  region ${index}${roleText(roles.region, index)}: size ${hex(r.size)} offset ${hex(r.offset)} flags ${r.flagNames.join(' ') || '-'}${r.rounds > 1 ? ` (argsz retried: ${r.rounds} calls)` : ''}`);
    for (const c of r.caps) out.push(`    capability ${describeCap(c)}`);
  }
  for (let i = 0; i < info.numIrqs; i++) {
    const irq = refusedAs(() => device.irqInfo(i));
    out.push(typeof irq === 'string' ? `  irq ${i}: refused (${irq})` : `  irq ${i}${roleText(roles.irq, i)}: count ${irq.count} flags ${irq.flagNames.join(' ') || '-'}`);
  }
  return out;
}

export function describeDevice(backend: Backend, group: number, name: string): string {
  const d = new VfioVhostDevice(backend, { group, name });
  try {
    const out: string[] = [];
    out.push(`${name} (IOMMU group ${group}): vfio-vhost device, API "${d.api}", regions found ${d.regions.how === 'typed' ? 'by capability type' : "by the RFC's fixed indexes"}`);
    out.push(
      ...describeVfio(d.device, d.info, VHOST_DEVICE_FLAGS, {
        region: (i) => (i === d.regions.config.index ? 'config' : i === d.regions.notify.index ? 'notify' : 'other'),
        irq: (i) => (i === VFIO_VHOST_VQ_IRQ_INDEX ? 'calls' : i === VFIO_VHOST_ERR_IRQ_INDEX ? 'ring errors' : undefined),
      }),
    );
    d.vhost.setOwner();
    const features = decodeFeatures(d.vhost.getFeatures());
    d.vhost.resetOwner();
    out.push(`  vhost features: ${features.names.join(' ')}${features.unknownBits.length ? ` (unnamed bits ${features.unknownBits.join(', ')})` : ''}`);
    return out.join('\n');
  } finally {
    d.close();
  }
}

/** Every mdev device the backend shows, with its IOMMU group. */
export function describeDevices(backend: Backend): string {
  const out: string[] = [];
  for (const name of backend.listDirectory('/sys/bus/mdev/devices')) {
    const group = Number(backend.readAttribute(`/sys/bus/mdev/devices/${name}/iommu_group`).trim());
    out.push(describeDevice(backend, group, name));
  }
  return out.join('\n\n') + '\n';
}

/** The IOMMU group a PCI function is in, from /sys/kernel/iommu_groups (sysfs lists each group's devices). */
function iommuGroupOf(backend: Backend, name: string): number | undefined {
  const root = '/sys/kernel/iommu_groups';
  const group = backend.listDirectory(root).find((g) => backend.listDirectory(`${root}/${g}/devices`).includes(name));
  return group === undefined ? undefined : Number(group);
}

/**
 * Every PCI function bound to vfio-pci, described by VFIO as describeVfio does for the
 * simulator: the same listing on a real kernel. Each device is opened in a container of its
 * own and closed again.
 */
export function describeVfioPciDevices(backend: Backend, driverDir = '/sys/bus/pci/drivers/vfio-pci'): string {
  const out: string[] = [];
  let entries: string[];
  try {
    entries = backend.listDirectory(driverDir);
  } catch (e) {
    if (e instanceof SyscallError && e.errno === ENOENT) return `vfio-pci is not loaded: no ${driverDir} (modprobe vfio-pci)\n`;
    throw e;
  }
  // The driver's folder holds its bound functions beside bind, unbind, new_id...: keep the functions.
  const functions = new Set(backend.listDirectory('/sys/bus/pci/devices'));
  const names = entries.filter((n) => functions.has(n));
  for (const name of names) {
    const group = iommuGroupOf(backend, name);
    if (group === undefined) {
      out.push(`${name}: in no IOMMU group (VFIO needs one)`);
      continue;
    }
    const container = new Container(backend);
    const g = new Group(backend, group);
    try {
      if (!g.status().viable) {
        out.push(`${name} (IOMMU group ${group}): group not viable: bind every device in it to vfio-pci`);
        continue;
      }
      g.setContainer(container);
      container.setIommu(VFIO_TYPE1v2_IOMMU);
      const device = new Device(backend, g.deviceFd(name), name);
      try {
        out.push([`${name} (IOMMU group ${group}): vfio-pci device`, ...describeVfio(device, device.info())].join('\n'));
      } finally {
        device.close();
      }
    } finally {
      g.close();
      container.close();
    }
  }
  return out.length ? out.join('\n\n') + '\n' : `no PCI function is bound to vfio-pci (${driverDir})\n`;
}
