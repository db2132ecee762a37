// Flag families as typed objects: members, kinds, and of/encode/decode from the runtime.
import { StructureKind, VariableDeclarationKind } from 'ts-morph';
import { derivedName, docs, EmitContext, familyKey, runtime, where } from './context.js';
import type { FlagFamily } from '../model/model.js';

/** What a family of values adds to its doc: one at a time, and the flags that go with any. */
function valuesNote(members: readonly { constant: { name: string }; kind: string }[]): string {
  const bits = members.filter((m) => m.kind === 'bit').map((m) => m.constant.name);
  return bits.length === 0 ? ', one at a time, never combined' : `, one at a time, each with or without ${bits.length === 1 ? 'the flag' : 'the flags'} ${bits.join(', ')}`;
}

export function emitFlagFamilies(ctx: EmitContext): Map<string, string> {
  const objectNames = new Map<string, string>();
  // Families whose members share one prefix (virtio_crypto.h's eight `VIRTIO_CRYPTO_*` runs) are
  // each named by their record and field: VIRTIO_CRYPTO and VIRTIO_CRYPTO_FAMILY would not say which is which.
  const prefixCount = new Map<string, number>();
  for (const f of ctx.primary.flagFamilies) prefixCount.set(f.name, (prefixCount.get(f.name) ?? 0) + 1);
  for (const f of ctx.primary.flagFamilies) {
    const key = familyKey(f);
    const byField = key.replace(/\./g, '_').toUpperCase();
    // A one-word prefix that other constants of the unit begin with too names the header, not the
    // family (io_uring.h's timeout flags share only `IORING_`): record and field name it instead.
    const inFamily = new Set(f.members.map((m) => m.constant.name));
    const generic = /^[A-Za-z0-9]+_$/.test(f.name) && ctx.primary.constants.some((c) => c.name.startsWith(f.name) && !inFamily.has(c.name));
    // A lone member is no family's name either (IORING_FSYNC_DATASYNC: io_uring_sqe.fsync_flags).
    const lone = inFamily.has(f.name);
    const name = derivedName(ctx, prefixCount.get(f.name)! > 1 || generic || lone ? byField : f.name, '_FAMILY', byField);
    objectNames.set(key, name);
    const short = (n: string) => (n.startsWith(f.name) && n.length > f.name.length && /^[A-Za-z_]/.test(n.slice(f.name.length)) ? n.slice(f.name.length) : n);
    // A bit number's flag is 1 << it: the constant stays the position the header defines.
    const bitNumbers = f.encoding === 'bit-numbers';
    const flagOf = (m: (typeof f.members)[number]) => (bitNumbers ? `${m.flag} as ${runtime(ctx, 'Flags')}<${JSON.stringify(key)}>` : m.constant.name);
    const members = f.members.map((m) => `${short(m.constant.name)}: ${flagOf(m)}`).join(', ');
    const kinds = f.members.map((m) => `${short(m.constant.name)}: '${m.kind}'`).join(', ');
    const first = f.members[0].constant;
    // Only a family of values says its encoding: the runtime's default is flags.
    const encoding = f.encoding === 'values' ? `, 'values'` : '';
    ctx.statements.push({
      kind: StructureKind.VariableStatement,
      isExported: true,
      declarationKind: VariableDeclarationKind.Const,
      docs: docs(
        bitNumbers
          ? `The flags of \`${key}\`, whose #defines are bit numbers (bound by an override in the unit's manifest): each member here is the flag its bit number sets, ${f.members.map((m) => `1 << ${m.constant.name}`).join(', ')}.`
          : `The values of \`${key}\`${f.encoding === 'values' ? valuesNote(f.members) : ''} (${boundBy(f)}).`,
        `${f.members.map((m) => m.constant.name).join(', ')} at ${where(first.loc)}`,
      ),
      declarations: [{ name, initializer: `${runtime(ctx, 'defineFlags')}(${JSON.stringify(key)}, { ${members} }, { ${kinds} }${encoding})` }],
    });
  }
  return objectNames;
}

/** How the model came to bind the family to its field, for its doc comment. */
function boundBy(f: FlagFamily): string {
  if (f.source === 'override') return "bound by an override in the unit's manifest";
  if (f.source === 'comment' && f.namedBy) return `the #defines under the header's comment naming \`${f.namedBy.ref}\`, ${where(f.namedBy.loc)}`;
  return 'the #defines written next to that field';
}
