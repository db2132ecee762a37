// Flag families as typed objects: members, kinds, and of/encode/decode from the runtime.
import { StructureKind, VariableDeclarationKind } from 'ts-morph';
import { derivedName, docs, EmitContext, familyKey, runtime, where } from './context.js';

export function emitFlagFamilies(ctx: EmitContext): Map<string, string> {
  const objectNames = new Map<string, string>();
  for (const f of ctx.primary.flagFamilies) {
    const key = familyKey(f);
    const name = derivedName(ctx, f.name, '_FAMILY');
    objectNames.set(key, name);
    const short = (n: string) => (n.startsWith(f.name) && n.length > f.name.length && /^[A-Za-z_]/.test(n.slice(f.name.length)) ? n.slice(f.name.length) : n);
    const members = f.members.map((m) => `${short(m.constant.name)}: ${m.constant.name}`).join(', ');
    const kinds = f.members.map((m) => `${short(m.constant.name)}: '${m.kind}'`).join(', ');
    const first = f.members[0].constant;
    ctx.statements.push({
      kind: StructureKind.VariableStatement,
      isExported: true,
      declarationKind: VariableDeclarationKind.Const,
      docs: docs(
        `The values of \`${key}\` (${f.source === 'override' ? 'bound by an override in uapi/manifest.json' : 'the #defines written after that field'}).`,
        `${f.members.map((m) => m.constant.name).join(', ')} at ${where(first.loc)}`,
      ),
      declarations: [{ name, initializer: `${runtime(ctx, 'defineFlags')}(${JSON.stringify(key)}, { ${members} }, { ${kinds} })` }],
    });
  }
  return objectNames;
}
