// Enums: every enumerator as a constant (C names verbatim); index enums (regions, IRQs) also
// as an `as const` object with a union type. No TypeScript `enum`.
import { StructureKind, VariableDeclarationKind } from 'ts-morph';
import { literal } from './constants.js';
import { derivedName, docs, EmitContext, where } from './context.js';

/** How a doc comment names an index enum's kind, with its article. */
const KIND_NAMES = { region: { plain: 'region', article: 'A' }, irq: { plain: 'IRQ', article: 'An' } } as const;

export function emitEnums(ctx: EmitContext): void {
  for (const e of ctx.primary.enums) {
    for (const m of e.decl.members) {
      if (ctx.names.has(m.name)) continue; // a macro of the same name was emitted (pkt_sched.h style)
      ctx.names.add(m.name);
      ctx.statements.push({
        kind: StructureKind.VariableStatement,
        isExported: true,
        declarationKind: VariableDeclarationKind.Const,
        docs: docs(undefined, `enumerator ${m.name} of enum ${e.name ?? '(anonymous)'} at ${where(m.at)}`),
        declarations: [{ name: m.name, initializer: literal(m.value) }],
      });
    }
  }
  for (const x of ctx.primary.indexEnums) {
    const name = derivedName(ctx, x.name, '_TABLE');
    const kind = KIND_NAMES[x.kind];
    ctx.statements.push(
      {
        kind: StructureKind.VariableStatement,
        isExported: true,
        declarationKind: VariableDeclarationKind.Const,
        docs: docs(`Fixed ${kind.plain} indexes${x.count ? `; ${x.count} counts them` : ''}.`, `enum ${x.enumName ?? '(anonymous)'} at ${where(x.loc)}`),
        declarations: [{ name, initializer: `{ ${x.members.map((m) => `${m.name}: ${m.name}`).join(', ')} } as const` }],
      },
      { kind: StructureKind.TypeAlias, isExported: true, name, type: `(typeof ${name})[keyof typeof ${name}]`, docs: docs(`${kind.article} ${kind.plain} index.`, x.name) },
    );
  }
}
