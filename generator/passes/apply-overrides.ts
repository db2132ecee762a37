// Declarative corrections from uapi/: where a header's conventions cannot decide (a flag
// family written before its struct, a capability ID far from its struct), the override says.
// An override that names something the header does not have is an error, not ignored.
import { FlagEncoding, FlagFamily } from '../model/model.js';
import type { Session } from '../pipeline.js';
import { classifyFlags, conventionEncoding, familyName } from './bind-flag-families.js';

export interface FlagFamilyOverride {
  record: string;
  field: string;
  /** Either a prefix every member starts with, or the member names. */
  prefix?: string;
  members?: string[];
  /** What the members are (model.ts, FlagEncoding); when absent, read from their spelling as the convention reads it. */
  encoding?: FlagEncoding;
}

export interface CapabilityOverride {
  info: string;
  id: string;
  record: string;
}

export interface Overrides {
  flagFamilies?: FlagFamilyOverride[];
  capabilities?: CapabilityOverride[];
  /**
   * Read with only some of their unit's headers (`model`, `verify`, `lint` on one header), or
   * on either side of a diff: an override naming a record or constant those lack is skipped,
   * since another header of the unit, or the other side, has it.
   */
  partial?: boolean;
}

/** The widest flag word the runtime's flag families hold. */
const FLAG_BITS = 32;

export function applyOverrides(s: Session): void {
  const o = s.options.overrides;
  if (!o) return;
  const at = { file: s.model.headers[0], line: 1, col: 1 };
  const byName = new Map(s.model.constants.map((c) => [c.name, c]));
  for (const f of o.flagFamilies ?? []) {
    const rec = s.model.records.find((r) => r.name === f.record);
    if (!rec && o.partial) continue;
    if (!rec) {
      s.diags.error('UG304', `override: no record '${f.record}' in ${s.headerNames.join(', ')}`, at);
      continue;
    }
    const field = rec.layout.fields.find((x) => x.member.name === f.field);
    if (!field) {
      s.diags.error('UG304', `override: record '${f.record}' has no field '${f.field}'`, rec.loc);
      continue;
    }
    const members = f.members
      ? f.members.map((n) => byName.get(n) ?? n)
      : s.model.constants.filter((c) => c.kind === 'integer' && c.name.startsWith(f.prefix ?? '\0'));
    const missing = members.filter((m) => typeof m === 'string');
    // Partly read (a diff's older side may lack a member the newer one adds): the members there are.
    const present = members.length - missing.length;
    if (o.partial && present === 0) continue;
    if (!o.partial && (missing.length || members.length === 0)) {
      s.diags.error('UG304', `override: flag family for ${f.record}.${f.field} names no constant${missing.length ? `: ${missing.join(', ')}` : ` with prefix '${f.prefix}'`}`, rec.loc);
      continue;
    }
    const constants = members.filter((m) => typeof m !== 'string');
    // Flags are 32-bit numbers in the runtime (codegen-v1's Flags), whatever the field's width.
    const bits = BigInt(Math.min(field.bitWidth ?? field.size * 8, FLAG_BITS));
    // Without an encoding the override says only where the run goes; its spelling says how, as for the convention.
    const encoding = f.encoding ?? conventionEncoding(constants, f.field);
    const outside = encoding === 'bit-numbers' ? constants.filter((c) => (c.value as bigint) < 0n || (c.value as bigint) >= bits) : [];
    if (outside.length) {
      s.diags.error('UG304', `override: bit numbers of ${f.record}.${f.field} must lie in 0..${bits - 1n}: ${outside.map((c) => `${c.name} = ${c.value}`).join(', ')}`, outside[0].loc);
      continue;
    }
    // The override's field loses the family the convention gave it, and its constants leave any
    // family they were bound to: in vhost_types.h the #defines come before their field, so the
    // convention binds VHOST_ACCESS_* to `uaddr`, the field above them.
    const taken = new Set(constants.map((c) => c.name));
    s.model.flagFamilies = s.model.flagFamilies
      .filter((x) => !(x.record === f.record && x.field === f.field))
      .map((x) => (x.members.some((m) => taken.has(m.constant.name)) ? { ...x, members: classifyFlags(x.members.map((m) => m.constant).filter((c) => !taken.has(c.name)), x.encoding) } : x))
      .filter((x) => x.members.length > 0);
    const fam: FlagFamily = { name: f.prefix ?? familyName(constants.map((c) => c.name), f.record), record: f.record, field: f.field, members: classifyFlags(constants, encoding), encoding, source: 'override' };
    s.model.flagFamilies.push(fam);
  }
  for (const c of o.capabilities ?? []) {
    const fam = s.model.capabilityFamilies.find((x) => x.info === c.info);
    const id = byName.get(c.id);
    if (!fam || !id || !s.model.records.some((r) => r.name === c.record)) {
      if (o.partial) continue;
      s.diags.error('UG304', `override: capability ${c.id} -> ${c.record} in chain ${c.info} names something the headers do not have`, at);
      continue;
    }
    fam.members = fam.members.filter((m) => m.id !== id);
    fam.members.push({ id, record: c.record, headerOnly: false });
  }
}
