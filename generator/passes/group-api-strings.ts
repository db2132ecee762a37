// API strings (`VFIO_DEVICE_API_PCI_STRING "vfio-pci"`): string constants named
// PREFIX_API_<NAME>_STRING, grouped by prefix.
import { ApiStringFamily } from '../model/model.js';
import type { Session } from '../pipeline.js';

export function groupApiStrings(s: Session): void {
  const families = new Map<string, ApiStringFamily>();
  for (const c of s.model.constants) {
    if (c.kind !== 'string') continue;
    const m = /^(.*_API_)(.+)(_STRING)$/.exec(c.name);
    if (!m) continue;
    const fam = families.get(m[1]) ?? { prefix: m[1], suffix: m[3], members: [] };
    fam.members.push(c);
    families.set(m[1], fam);
  }
  s.model.apiStrings.push(...families.values());
}
