// The byte-by-byte picture of a changed record, old above new: each byte names the field that
// holds it, or is a hole (padding); fields that moved, appeared or vanished are marked.
import { fieldsJson, FieldJson, flattenFields } from '../model/json.js';
import { Model, RecordModel } from '../model/model.js';
import { Finding } from './findings.js';

export type ByteKind = 'field' | 'hole' | 'moved' | 'added' | 'removed';

export interface LayoutRow {
  size: number;
  bytes: { index: number; field: string; kind: ByteKind; first: boolean }[];
}

export interface RecordPicture {
  record: string;
  cSpelling: string;
  old: LayoutRow;
  new: LayoutRow;
}

const RECORD_CODES = new Set(['RECORD_SIZE_CHANGED', 'RECORD_ALIGN_CHANGED', 'FIELD_OFFSET_CHANGED', 'FIELD_SIZE_CHANGED', 'FIELD_TYPE_CHANGED', 'FIELD_REMOVED', 'FIELD_RENAMED', 'RESERVED_FIELD_USED', 'FIELD_APPENDED_EXTENSIBLE', 'FIELD_APPENDED_SIZE_ENCODED', 'FIELD_ADDED']);

/** The fields that hold bytes themselves (no nested fields), named by their dotted paths. */
function leaves(model: Model, r: RecordModel): FieldJson[] {
  return flattenFields(fieldsJson(model, r.layout.fields))
    .filter(({ field }) => !field.fields)
    .map(({ path, field }) => ({ ...field, name: path }));
}

/** Byte by byte, the field that holds each byte of a record ('' for padding). */
export function byteMap(model: Model, r: RecordModel): string[] {
  const own = leaves(model, r);
  return row(r.layout.size, own, byName(own), 'added').bytes.map((b) => b.field);
}

const byName = (fields: FieldJson[]) => new Map(fields.map((f) => [f.name, f]));

/** A record's bytes from its leaf fields, each marked against the other version's fields. */
function row(size: number, own: FieldJson[], other: Map<string, FieldJson>, missingKind: 'added' | 'removed'): LayoutRow {
  const bytes: LayoutRow['bytes'] = Array.from({ length: size }, (_, index) => ({ index, field: '', kind: 'hole' as ByteKind, first: false }));
  for (const f of own) {
    const twin = other.get(f.name);
    const kind: ByteKind = !twin ? missingKind : twin.offset !== f.offset || twin.bitOffset !== f.bitOffset ? 'moved' : 'field';
    const start = f.bitOffset !== undefined ? Math.floor(f.bitOffset / 8) : f.offset;
    const end = f.bitOffset !== undefined ? Math.ceil((f.bitOffset + f.bitWidth!) / 8) : f.offset + f.size;
    for (let b = start; b < Math.min(end, bytes.length); b++) {
      // A union's members share bytes: the first one named keeps the byte.
      if (bytes[b].field) continue;
      bytes[b] = { index: b, field: f.name, kind, first: b === start };
    }
  }
  return { size, bytes };
}

export function recordPictures(oldM: Model, newM: Model, findings: Finding[]): RecordPicture[] {
  const changed = new Set(findings.filter((f) => RECORD_CODES.has(f.code)).map((f) => f.subject.split('.')[0]));
  const out: RecordPicture[] = [];
  for (const name of [...changed].sort()) {
    const o = oldM.records.find((r) => r.name === name);
    const n = newM.records.find((r) => r.name === name);
    if (!o || !n) continue;
    const oldLeaves = leaves(oldM, o);
    const newLeaves = leaves(newM, n);
    out.push({ record: name, cSpelling: n.cSpelling, old: row(o.layout.size, oldLeaves, byName(newLeaves), 'removed'), new: row(n.layout.size, newLeaves, byName(oldLeaves), 'added') });
  }
  return out;
}
