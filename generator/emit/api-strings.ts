// API string families: a constant map and a string-literal union type.
import { StructureKind, VariableDeclarationKind } from 'ts-morph';
import { derivedName, docs, EmitContext, where } from './context.js';

export function emitApiStrings(ctx: EmitContext): void {
  for (const f of ctx.primary.apiStrings) {
    const name = derivedName(ctx, f.prefix, '_FAMILY');
    const key = (n: string) => n.slice(f.prefix.length, n.length - f.suffix.length);
    ctx.statements.push(
      {
        kind: StructureKind.VariableStatement,
        isExported: true,
        declarationKind: VariableDeclarationKind.Const,
        docs: docs(`The device API strings ${f.prefix}*${f.suffix}.`, `${f.members.map((m) => m.name).join(', ')} at ${where(f.members[0].loc)}`),
        declarations: [{ name, initializer: `{ ${f.members.map((m) => `${key(m.name)}: ${m.name}`).join(', ')} } as const` }],
      },
      { kind: StructureKind.TypeAlias, isExported: true, name, type: `(typeof ${name})[keyof typeof ${name}]`, docs: docs('One of the API strings above.', f.prefix) },
    );
  }
}
