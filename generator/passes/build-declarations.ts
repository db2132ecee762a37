// Turns the AST into types and lays out every record the headers define.
import { LayoutError } from '../model/layout.js';
import type { Session } from '../pipeline.js';

export function buildDeclarations(s: Session): void {
  if (!s.ast) return;
  const decls = s.model.declarations;
  decls.add(s.ast);
  const docs = s.docs!;
  const inHeaders = new Set(s.model.headers);
  for (const r of decls.records) {
    if (!inHeaders.has(r.at.file)) continue;
    const name = decls.recordName(r);
    if (!name) continue; // an untagged record used inline: described inside its parent
    try {
      const layout = decls.layouts.record(r);
      s.model.records.push({ decl: r, name, cSpelling: decls.cSpelling(r)!, layout, loc: r.at, doc: docs.for(r.at) });
    } catch (e) {
      if (!(e instanceof LayoutError)) throw e;
      s.diags.error(e.code, e.message, e.at ?? r.at);
    }
  }
  for (const e of decls.enums) {
    if (!inHeaders.has(e.at.file)) continue;
    s.model.enums.push({ decl: e, name: decls.recordName(e), loc: e.at, doc: docs.for(e.at) });
  }
  for (const t of decls.typedefs.values()) {
    if (t.at && inHeaders.has(t.at.file)) s.model.typedefs.push(t);
  }
}
