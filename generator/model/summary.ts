// The model as a person reads it in a terminal (`uapigen model`, `npm start`).
import { flagText, Model } from './model.js';

const hex = (v: bigint) => (v < 0n ? `-0x${(-v).toString(16)}` : `0x${v.toString(16)}`);

export function summarizeModel(model: Model): string {
  const out: string[] = [];
  const headers = model.headers.map((h) => h.displayPath).join(', ');
  const integers = model.constants.filter((c) => c.kind === 'integer').length;
  out.push(`${headers} (${model.abi.name}): ${model.files.length} files read`);
  out.push(
    `  ${integers} integer constants, ${model.constants.length - integers} strings, ${model.records.length} records, ${model.enums.length} enums, ` +
      `${model.ioctls.length} ioctls, ${model.flagFamilies.length} flag families, ${model.capabilityFamilies.length} capability chains`,
  );
  const skipped = model.diagnostics.filter((d) => d.code === 'UG202').length;
  if (skipped) out.push(`  ${skipped} declarations outside the UAPI subset skipped in the files read (functions, prototypes, objects)`);
  if (model.ioctls.length) {
    out.push('', 'ioctls');
    for (const i of model.ioctls) {
      const enc = `${i.encoded.macro}(${[i.encoded.typeArg, i.encoded.nrArg, i.encoded.argType].filter(Boolean).join(', ')})`;
      const decl = i.declared && (i.declared.macro !== i.encoded.macro || i.declared.argType !== i.encoded.argType) ? `  declared ${i.declared.macro}(${i.declared.argType ?? ''})` : '';
      out.push(`  ${i.name.padEnd(40)} ${String(i.value).padStart(11)} ${hex(i.value).padStart(11)}  ${enc}${decl}`);
    }
  }
  if (model.flagFamilies.length) {
    out.push('', 'flag families');
    for (const f of model.flagFamilies) {
      // Values and bit numbers say so: `UDP=0x3` reads as a flag otherwise. A flag beside values is marked `+`.
      // A family a comment placed says which comment: the family may lie far from its record.
      const how = [f.encoding === 'flags' ? '' : f.encoding, f.namedBy ? `named by ${f.namedBy.ref}` : ''].filter(Boolean).join(', ');
      const mark = (m: (typeof f.members)[number]) => (f.encoding === 'values' && m.kind === 'bit' ? '+' : '');
      out.push(`  ${f.record}.${f.field}${how ? ` (${how})` : ''}: ${f.members.map((m) => `${mark(m)}${m.constant.name.slice(f.name.length) || m.constant.name}=${flagText(f, m)}`).join(' ')}`);
    }
  }
  if (model.capabilityFamilies.length) {
    out.push('', 'capability chains');
    for (const f of model.capabilityFamilies) {
      out.push(`  ${f.info}.cap_offset -> ${f.members.map((m) => `${m.id.name}(${m.id.value})=${m.headerOnly ? 'header only' : m.record}`).join(', ')}`);
    }
  }
  if (model.apiStrings.length) {
    out.push('', 'API strings');
    for (const f of model.apiStrings) out.push(`  ${f.members.map((m) => `${m.name}="${m.value}"`).join(' ')}`);
  }
  if (model.indexEnums.length) {
    out.push('', 'index enums');
    for (const x of model.indexEnums) out.push(`  ${x.name}: ${x.members.map((m) => `${m.name}=${m.value}`).join(' ')}`);
  }
  if (model.records.length) {
    out.push('', 'records (size/align)');
    const cells = model.records.map((r) => `${r.name} ${r.layout.size}/${r.layout.align}`);
    for (let k = 0; k < cells.length; k += 3) out.push('  ' + cells.slice(k, k + 3).map((c) => c.padEnd(48)).join('').trimEnd());
  }
  return out.join('\n') + '\n';
}
