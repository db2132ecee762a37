// `uapigen devices [--sim typed|fixed]`: lists vfio-vhost devices the way `lspci -v` would:
// API string, device flags by name, each region with its capability chain, each IRQ index,
// and the vhost features by name.
import { VFIO_VHOST_NUM_IRQS } from '../generated/vfio_vhost.js';
import { Backend } from './backend.js';
import { Capability } from './vfio/capabilities.js';
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

export function describeDevice(backend: Backend, group: number, name: string): string {
  const d = new VfioVhostDevice(backend, { group, name });
  try {
    const out: string[] = [];
    const flags = VHOST_DEVICE_FLAGS.decode(d.info.flags);
    out.push(`${name} (IOMMU group ${group}): vfio-vhost device, API "${d.api}", regions found ${d.regions.how === 'typed' ? 'by capability type' : "by the RFC's fixed indexes"}`);
    out.push(`  flags: ${flags.names.join(' ')}${flags.unknown ? ` unknown ${hex(flags.unknown)}` : ''}`);
    for (const r of d.regions.all) {
      const role = r === d.regions.config ? 'config' : r === d.regions.notify ? 'notify' : 'other';
      out.push(`  region ${r.index} (${role}): size ${hex(r.size)} offset ${hex(r.offset)} flags ${r.flagNames.join(' ') || '-'}${r.rounds > 1 ? ` (argsz retried: ${r.rounds} calls)` : ''}`);
      for (const c of r.caps) out.push(`    capability ${describeCap(c)}`);
    }
    for (let i = 0; i < d.info.numIrqs && i < VFIO_VHOST_NUM_IRQS; i++) {
      const irq = d.device.irqInfo(i);
      out.push(`  irq ${i}: count ${irq.count} flags ${irq.flagNames.join(' ') || '-'}`);
    }
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
