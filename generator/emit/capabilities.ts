// Capability chains: for each info struct, capability ID -> the struct that carries it, so the
// runtime can walk any chain with one generic walker.
import { StructureKind, VariableDeclarationKind } from 'ts-morph';
import { derivedName, docs, EmitContext, importName, runtime } from './context.js';

export function emitCapabilities(ctx: EmitContext): void {
  for (const fam of ctx.primary.capabilityFamilies) {
    const ref = (name: string) => {
      const home = ctx.recordHome.get(name);
      return home && home !== ctx.unit.name ? importName(ctx, `./${home}.js`, name) : name;
    };
    const name = derivedName(ctx, `${fam.info}_capabilities`, '_TABLE');
    const ids = fam.members.map((m) => `${m.id.value}: { name: ${JSON.stringify(m.id.name)}, codec: ${ref(m.record)} }`).join(', ');
    ctx.statements.push({
      kind: StructureKind.VariableStatement,
      isExported: true,
      declarationKind: VariableDeclarationKind.Const,
      docs: docs(`The capability chain that \`${fam.info}.cap_offset\` starts; every capability begins with \`${fam.header}\`.`, fam.members.map((m) => `${m.id.name} -> ${m.record}`).join(', ')),
      declarations: [{ name, initializer: `${runtime(ctx, 'defineCapabilityChain')}({ info: ${ref(fam.info)}, header: ${ref(fam.header)}, ids: { ${ids} } })` }],
    });
  }
}
