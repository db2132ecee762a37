// The constraints C puts on a struct or union's members (C11 6.7.2.1) that gcc enforces and a
// layout alone would not notice: without them a header gcc refuses got a size, and bindings,
// from uapigen. Each broken rule is an error at the member, in gcc's words where they fit.
import { Diagnostics, Loc } from '../diagnostics.js';
import { Abi } from './abi.js';
import { intBits, Member, RecordDecl, resolve } from './types.js';

/** Reports every member of `rec` that C does not allow (UG306). */
export function checkMembers(rec: RecordDecl, members: readonly Member[], abi: Abi, diags: Diagnostics): void {
  const error = (message: string, at: Loc, related?: { message: string; loc: Loc }) =>
    diags.report({ code: 'UG306', severity: 'error', message, loc: at, related: related && [related] });
  checkNames(members, new Map(), error);
  let named = 0;
  members.forEach((m, k) => {
    const name = m.name ?? '<anonymous>';
    const t = resolve(m.type);
    if (m.bitWidth !== undefined) {
      const width = bitFieldWidthLimit(m, abi);
      if (width === undefined) error(`bit-field '${name}' has invalid type`, m.at);
      else if (m.bitWidth === 0 && m.name !== undefined) error(`zero width for bit-field '${name}'`, m.at);
      else if (m.bitWidth > width) error(`width of '${name}' exceeds its type (${width} bit${width === 1 ? '' : 's'})`, m.at);
    } else if (t.kind === 'void') {
      error(`field '${name}' declared void`, m.at);
    } else if (t.kind === 'function') {
      error(`field '${name}' declared as a function`, m.at);
    } else if (t.kind === 'array' && t.length === undefined) {
      if (rec.kind === 'union') error(`flexible array member '${name}' in union`, m.at);
      else if (k !== members.length - 1) error(`flexible array member '${name}' not at end of struct`, m.at);
      else if (named === 0) error(`flexible array member '${name}' in a struct with no named members`, m.at);
    }
    // An anonymous struct or union member brings its names in; an unnamed bit-field brings none.
    if (m.name !== undefined || m.bitWidth === undefined) named++;
  });
}

/**
 * Member names must be unique across the record and the anonymous members it takes in
 * (C11 6.7.2.1p13); gcc puts the error at the later one.
 */
function checkNames(members: readonly Member[], seen: Map<string, Member>, error: (message: string, at: Loc, related?: { message: string; loc: Loc }) => void): void {
  for (const m of members) {
    if (m.name === undefined) {
      const t = resolve(m.type);
      if (m.bitWidth === undefined && t.kind === 'record' && t.record.members) checkNames(t.record.members, seen, error);
      continue;
    }
    const first = seen.get(m.name);
    if (first) error(`duplicate member '${m.name}'`, m.at, { message: `'${m.name}' was declared here first`, loc: first.at });
    else seen.set(m.name, m);
  }
}

/** The widest a bit-field of this member's type may be, or undefined when the type cannot hold one. */
function bitFieldWidthLimit(m: Member, abi: Abi): number | undefined {
  const t = resolve(m.type);
  if (t.kind === 'int') return t.name === '_Bool' ? 1 : intBits(abi, t.name);
  if (t.kind === 'enum') return intBits(abi, t.decl.type);
  return undefined;
}
