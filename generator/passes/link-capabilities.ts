// Capability chains: a struct whose first member is the chain header
// (`struct vfio_info_cap_header`) is a capability; its ID is the constant named like it or,
// failing that, the constant written just before it; its chain is the info struct whose name
// prefixes the ID and which has the `cap_offset` field that starts the chain. IDs of the
// chain with no struct of their own (header-only capabilities) belong to it too.
import { CapabilityFamily, Constant, RecordModel } from '../model/model.js';
import { RecordDecl, resolve } from '../model/types.js';
import type { Session } from '../pipeline.js';

/** A chain header: a struct named *cap_header with `id` and `next` members. */
function isChainHeader(r: RecordDecl): boolean {
  const names = new Set((r.members ?? []).map((m) => m.name));
  return r.name !== undefined && /cap_header$/.test(r.name) && names.has('id') && names.has('next');
}

function firstMemberRecord(r: RecordModel): string | undefined {
  const first = r.decl.members?.[0];
  if (!first) return undefined;
  const t = resolve(first.type);
  return t.kind === 'record' ? t.record.name : undefined;
}

export function linkCapabilities(s: Session): void {
  const decls = s.model.declarations;
  // The header may live in an included file (vfio_zdev.h uses vfio.h's).
  const headers = new Set<string>();
  for (const r of decls.records) if (isChainHeader(r)) headers.add(r.name!);
  if (headers.size === 0) return;
  const infos = decls.records.filter((r) => r.name && (r.members ?? []).some((m) => m.name === 'cap_offset'));
  const integers = s.model.constants.filter((c) => c.kind === 'integer');
  const familyOf = (id: string) =>
    infos
      .filter((i) => id.startsWith(i.name!.toUpperCase() + '_'))
      .sort((a, b) => b.name!.length - a.name!.length)[0];
  const families = new Map<string, CapabilityFamily>();
  const bound = new Set<Constant>();
  const records = s.model.records; // in source order
  for (let k = 0; k < records.length; k++) {
    const r = records[k];
    const header = firstMemberRecord(r);
    if (!header || !headers.has(header) || isChainHeader(r.decl)) continue;
    let id = integers.find((c) => c.name === r.name.toUpperCase());
    if (!id) {
      const prev = records.slice(0, k).reverse().find((p) => p.loc.file === r.loc.file);
      const after = prev ? prev.decl.endAt.line : 0;
      id = integers.filter((c) => c.loc.file === r.loc.file && c.loc.line > after && c.loc.line < r.loc.line && familyOf(c.name)).pop();
    }
    if (!id) continue;
    const info = familyOf(id.name);
    if (!info) continue;
    const fam = families.get(info.name!) ?? { info: info.name!, header, members: [] };
    fam.members.push({ id, record: r.name, headerOnly: false });
    families.set(info.name!, fam);
    bound.add(id);
  }
  for (const fam of families.values()) {
    const prefix = fam.info.toUpperCase() + '_CAP_';
    for (const c of integers) {
      if (c.name.startsWith(prefix) && !bound.has(c)) fam.members.push({ id: c, record: fam.header, headerOnly: true });
    }
    fam.members.sort((a, b) => Number((a.id.value as bigint) - (b.id.value as bigint)));
    s.model.capabilityFamilies.push(fam);
  }
}
