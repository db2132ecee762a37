// Index enums: the (anonymous) enums that number a device's regions or IRQs
// (`VFIO_PCI_BAR0_REGION_INDEX ... VFIO_PCI_NUM_REGIONS`). They get a stable name from
// their members, since C gives them none.
import { IndexEnum } from '../model/model.js';
import type { Session } from '../pipeline.js';
import { commonPrefix } from './bind-flag-families.js';

export function findIndexEnums(s: Session): void {
  for (const e of s.model.enums) {
    const names = e.decl.members.map((m) => m.name);
    const kind = names.some((n) => /_REGION_INDEX$|_NUM_REGIONS$/.test(n)) ? 'region' : names.some((n) => /_IRQ_INDEX$|_NUM_IRQS$/.test(n)) ? 'irq' : undefined;
    if (!kind) continue;
    const count = names.find((n) => (kind === 'region' ? /_NUM_REGIONS$/ : /_NUM_IRQS$/).test(n));
    const idx: IndexEnum = {
      name: `${commonPrefix(names)}${kind === 'region' ? 'REGION' : 'IRQ'}_INDEX`,
      kind,
      enumName: e.name,
      members: e.decl.members.map((m) => ({ name: m.name, value: m.value })),
      count,
      loc: e.loc,
    };
    s.model.indexEnums.push(idx);
  }
}
