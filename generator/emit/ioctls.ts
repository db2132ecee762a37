// Ioctls: one table per unit, keyed by the C name, with the number as gcc computes it, its
// encoded fields, the argument codec, and the doc comment's declared form where it differs.
import { StructureKind, VariableDeclarationKind } from 'ts-morph';
import { IoctlForm } from '../model/model.js';
import { CType, resolve } from '../model/types.js';
import { docs, EmitContext, importName, runtime, where } from './context.js';

function argCodec(ctx: EmitContext, t: CType | undefined): string | undefined {
  if (!t) return undefined;
  const r = resolve(t);
  if (r.kind === 'record') {
    const name = ctx.primary.declarations.recordName(r.record);
    if (!name) return undefined;
    const home = ctx.recordHome.get(name);
    if (home && home !== ctx.unit.name) return importName(ctx, `./${home}.js`, name);
    return ctx.names.has(name) ? name : undefined;
  }
  if (r.kind === 'int' || r.kind === 'enum') {
    const n = r.kind === 'int' ? r.name : r.decl.type;
    const size = ctx.primary.abi.scalars[n].size;
    if (size > 8) return undefined;
    return runtime(ctx, `${n.startsWith('unsigned') || n === '_Bool' ? 'u' : 's'}${size * 8}`);
  }
  if (r.kind === 'pointer') return runtime(ctx, ctx.primary.abi.scalars.pointer.size === 8 ? 'u64' : 'u32');
  return undefined;
}

const differs = (a: IoctlForm, b: IoctlForm) => a.macro !== b.macro || (a.argType ?? '') !== (b.argType ?? '');

export function emitIoctls(ctx: EmitContext): void {
  if (ctx.primary.ioctls.length === 0) return;
  const rows = ctx.primary.ioctls.map((i) => {
    const argType = i.encoded.argType ?? i.declared?.argType;
    const arg = argCodec(ctx, i.encoded.argCType ?? i.declared?.argCType);
    const parts = [
      `name: ${JSON.stringify(i.name)}`,
      `request: ${i.name}`,
      `direction: '${i.decoded.direction}'`,
      `type: ${i.decoded.type}`,
      `nr: ${i.decoded.nr}`,
      `size: ${i.decoded.size}`,
    ];
    if (arg) parts.push(`arg: ${arg}`);
    if (argType) parts.push(`argType: ${JSON.stringify(argType)}`);
    if (i.declared && differs(i.declared, i.encoded)) {
      const d = i.declared;
      parts.push(`declared: { macro: '${d.macro}', direction: '${d.direction}'${d.argType ? `, argType: ${JSON.stringify(d.argType)}` : ''} }`);
    }
    return `/** ${i.encoded.macro}(${[i.encoded.typeArg, i.encoded.nrArg, i.encoded.argType].filter(Boolean).join(', ')}) at ${where(i.constant.loc)} */\n${i.name}: ${runtime(ctx, 'defineIoctl')}({ ${parts.join(', ')} })`;
  });
  const name = `${ctx.unit.name}_ioctls`;
  ctx.names.add(name);
  ctx.statements.push({
    kind: StructureKind.VariableStatement,
    isExported: true,
    declarationKind: VariableDeclarationKind.Const,
    docs: docs(`The ioctls of ${ctx.unit.headers.join(', ')}, by C name.`, `the _IO/_IOR/_IOW/_IOWR constants of ${ctx.unit.headers.join(', ')}`),
    declarations: [{ name, initializer: `{\n${rows.join(',\n')}\n} as const` }],
  });
}
