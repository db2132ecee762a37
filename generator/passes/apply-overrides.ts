// Declarative corrections from uapi/: where a header's conventions cannot decide (a flag
// family written before its struct, a capability ID far from its struct), the override says.
// An override that names something the header does not have is an error, not ignored.
import { FlagFamily } from '../model/model.js';
import type { Session } from '../pipeline.js';
import { classifyFlags, familyName } from './bind-flag-families.js';

export interface FlagFamilyOverride {
  record: string;
  field: string;
  /** Either a prefix every member starts with, or the member names. */
  prefix?: string;
  members?: string[];
}

export interface CapabilityOverride {
  info: string;
  id: string;
  record: string;
}

export interface Overrides {
  flagFamilies?: FlagFamilyOverride[];
  capabilities?: CapabilityOverride[];
}

export function applyOverrides(s: Session): void {
  const o = s.options.overrides;
  if (!o) return;
  const at = { file: s.model.headers[0], line: 1, col: 1 };
  const byName = new Map(s.model.constants.map((c) => [c.name, c]));
  for (const f of o.flagFamilies ?? []) {
    const rec = s.model.records.find((r) => r.name === f.record);
    if (!rec) {
      s.diags.error('UG304', `override: no record '${f.record}' in ${s.headerNames.join(', ')}`, at);
      continue;
    }
    if (!rec.layout.fields.some((x) => x.member.name === f.field)) {
      s.diags.error('UG304', `override: record '${f.record}' has no field '${f.field}'`, rec.loc);
      continue;
    }
    const members = f.members
      ? f.members.map((n) => byName.get(n) ?? n)
      : s.model.constants.filter((c) => c.kind === 'integer' && c.name.startsWith(f.prefix ?? '\0'));
    const missing = members.filter((m) => typeof m === 'string');
    if (missing.length || members.length === 0) {
      s.diags.error('UG304', `override: flag family for ${f.record}.${f.field} names no constant${missing.length ? `: ${missing.join(', ')}` : ` with prefix '${f.prefix}'`}`, rec.loc);
      continue;
    }
    const constants = members.filter((m) => typeof m !== 'string');
    s.model.flagFamilies = s.model.flagFamilies.filter((x) => !(x.record === f.record && x.field === f.field));
    const fam: FlagFamily = { name: f.prefix ?? familyName(constants.map((c) => c.name), f.record), record: f.record, field: f.field, members: classifyFlags(constants), source: 'override' };
    s.model.flagFamilies.push(fam);
  }
  for (const c of o.capabilities ?? []) {
    const fam = s.model.capabilityFamilies.find((x) => x.info === c.info);
    const id = byName.get(c.id);
    if (!fam || !id || !s.model.records.some((r) => r.name === c.record)) {
      s.diags.error('UG304', `override: capability ${c.id} -> ${c.record} in chain ${c.info} names something the headers do not have`, at);
      continue;
    }
    fam.members = fam.members.filter((m) => m.id !== id);
    fam.members.push({ id, record: c.record, headerOnly: false });
  }
}
