// Constants: literal types; integers outside the safe range become bigint (the rule:
// a value that Number represents exactly is a number, anything else a bigint). A member
// of a flag family is typed by its family, so it cannot stand where another family's
// value (or an ioctl number) is expected.
import { StructureKind, VariableDeclarationKind } from 'ts-morph';
import { Constant } from '../model/model.js';
import { docs, EmitContext, familyKey, familyOfConstant, runtime, where } from './context.js';

export function literal(v: bigint): string {
  const safe = v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER);
  return safe ? v.toString() : `${v}n`;
}

export function emitConstants(ctx: EmitContext): void {
  const family = familyOfConstant(ctx.primary.flagFamilies);
  for (const c of ctx.primary.constants) {
    ctx.names.add(c.name);
    const f = family.get(c.name);
    // A bit number is a position, not a value of the field: a number, and the family holds the flag.
    const bitOf = f?.encoding === 'bit-numbers' ? `A bit number of \`${familyKey(f)}\`: the flag it names is 1 << ${c.value}.` : undefined;
    ctx.statements.push({
      kind: StructureKind.VariableStatement,
      isExported: true,
      declarationKind: VariableDeclarationKind.Const,
      docs: docs([c.doc, bitOf].filter(Boolean).join('\n\n') || undefined, `#define ${c.name} at ${where(c.loc)}: ${c.type}`),
      declarations: [{ name: c.name, initializer: initializer(ctx, c, f ? (f.encoding === 'bit-numbers' ? undefined : familyKey(f)) : ctx.externalFlagMembers.get(c.name)) }],
    });
  }
}

function initializer(ctx: EmitContext, c: Constant, familyBrand: string | undefined): string {
  if (c.kind === 'string') return JSON.stringify(c.value);
  const v = c.value as bigint;
  if (familyBrand && v >= 0n && v <= 0xffffffffn) return `${v} as ${runtime(ctx, 'Flags')}<${JSON.stringify(familyBrand)}>`;
  return literal(v);
}
