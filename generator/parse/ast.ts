// The shapes the peggy grammar (c-subset.peggy) builds. Every node's `at` is a source location.
import { Loc } from '../diagnostics.js';

export interface Attribute {
  /** Without GNU underscores: `__packed__` is `packed`. */
  name: string;
  args?: (Expr | TypeName)[] | null;
  at: Loc;
}

export interface DeclSpecs {
  storage: string[];
  quals: string[];
  fns: string[];
  /** Basic type keywords in order (`unsigned`, `long`, `long`). */
  basic: string[];
  attrs: Attribute[];
  typedefName?: string;
  record?: RecordSpec;
  enumSpec?: EnumSpec;
  typeofOperand?: Expr | TypeName;
  at: Loc;
}

export interface RecordSpec {
  kind: 'struct' | 'union';
  name?: string;
  /** Where the tag is (or would be): what a redefinition points at, as gcc does. */
  nameAt: Loc;
  /** Undefined for a reference or forward declaration (`struct foo`). */
  members?: (MemberDecl | Skipped | null)[];
  attrs: Attribute[];
  at: Loc;
  endAt: Loc;
}

export interface MemberDecl {
  k: 'member';
  specs: DeclSpecs;
  declarators: MemberDeclarator[];
  at: Loc;
}

export interface MemberDeclarator {
  decl?: Declarator;
  width?: Expr;
  attrs: Attribute[];
  at: Loc;
}

export interface EnumSpec {
  name?: string;
  /** Where the tag is (or would be). */
  nameAt: Loc;
  members?: { name: string; value?: Expr; at: Loc }[];
  attrs: Attribute[];
  at: Loc;
  endAt: Loc;
}

export interface Declarator {
  name?: string;
  inner?: Declarator;
  ptrs: { quals: string[] }[];
  suffixes: ({ k: 'array'; size?: Expr } | { k: 'function' })[];
  attrs: Attribute[];
  at?: Loc;
}

export interface TypeName {
  k: 'typeName';
  specs: DeclSpecs;
  decl?: Declarator;
  at: Loc;
}

export interface Declaration {
  k: 'declaration';
  specs: DeclSpecs;
  declarators: { decl: Declarator; attrs: Attribute[]; initialized: boolean }[];
  at: Loc;
}

export interface Skipped {
  k: 'skipped';
  what: string;
  name?: string;
  at: Loc;
}

/** `#pragma pack(...)`, with its arguments as written (`2`, `push, 4`, `pop`, empty). */
export interface PragmaPack {
  k: 'pragmaPack';
  args: string;
  at: Loc;
}

export type ExternalDeclaration = Declaration | Skipped | PragmaPack;

export type Expr = (
  | { k: 'num'; text: string }
  | { k: 'char'; text: string }
  | { k: 'str'; parts: string[] }
  | { k: 'id'; name: string }
  | { k: 'unary'; op: string; e: Expr }
  | { k: 'binary'; op: string; l: Expr; r: Expr }
  | { k: 'cond'; c: Expr; t: Expr; f: Expr }
  | { k: 'comma'; l: Expr; r: Expr }
  | { k: 'cast'; type: TypeName; e: Expr }
  | { k: 'sizeofType'; type: TypeName }
  | { k: 'sizeofExpr'; e: Expr }
  /** `preferred`: GNU `__alignof__`, which gives a scalar's preferred alignment (8 for i386 `long long`). */
  | { k: 'alignofType'; type: TypeName; preferred?: boolean }
  | { k: 'index'; e: Expr; i: Expr }
  | { k: 'call'; e: Expr; args: (Expr | TypeName)[] }
  | { k: 'member'; e: Expr; name: string; arrow: boolean }
  | { k: 'offsetof'; type: TypeName; path: (string | Expr)[] }
) & { at: Loc; parens?: boolean };

/** The declarator's name, looking through parentheses: `(*fn)` names `fn`. */
export function declaratorName(d: Declarator | undefined): string | undefined {
  for (; d; d = d.inner) if (d.name) return d.name;
  return undefined;
}
