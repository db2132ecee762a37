// The change classes of a UAPI review. Each has a stable code and one severity; the severity
// belongs to the class (kernel maintainers on check-uapi: "Adding new enums is not [a break].
// Using a reserved field is not. Reordering existing members IS.").
export type Severity = 'breaking' | 'compatible' | 'info';

export const CHANGE_CLASSES = {
  CONSTANT_REMOVED: { severity: 'breaking', what: 'a constant userspace may use is gone' },
  CONSTANT_VALUE_CHANGED: { severity: 'breaking', what: 'a constant has a new value' },
  CONSTANT_TYPE_CHANGED: { severity: 'info', what: 'a constant has the same value but another C type' },
  CONSTANT_RENAMED: { severity: 'breaking', what: 'a constant was renamed (same value, old name gone): code using the old name no longer compiles' },
  CONSTANT_ADDED: { severity: 'compatible', what: 'a new constant' },
  FLAG_BIT_COLLISION: { severity: 'breaking', what: 'a new flag uses bits another member of its family already has' },
  FLAG_ADDED: { severity: 'compatible', what: 'a new flag in a free bit of its family' },
  ENUM_MEMBER_RENUMBERED: { severity: 'breaking', what: 'an enumerator has a new value' },
  ENUM_MEMBER_REMOVED: { severity: 'breaking', what: 'an enumerator is gone' },
  ENUM_MEMBER_INSERTED: { severity: 'breaking', what: 'an enumerator was inserted before existing ones, renumbering them' },
  ENUM_MEMBER_ADDED: { severity: 'compatible', what: 'an enumerator appended at the end' },
  ENUM_COUNT_CHANGED: { severity: 'info', what: 'a count or max enumerator moved because members were appended' },
  ENUM_ADDED: { severity: 'compatible', what: 'a new enum' },
  RECORD_REMOVED: { severity: 'breaking', what: 'a struct or union is gone' },
  RECORD_ADDED: { severity: 'compatible', what: 'a new struct or union' },
  RECORD_SIZE_CHANGED: { severity: 'breaking', what: 'a struct or union changed size' },
  RECORD_ALIGN_CHANGED: { severity: 'breaking', what: 'a struct or union changed alignment' },
  FIELD_OFFSET_CHANGED: { severity: 'breaking', what: 'a field moved' },
  FIELD_SIZE_CHANGED: { severity: 'breaking', what: 'a field changed size' },
  FIELD_TYPE_CHANGED: { severity: 'breaking', what: 'a field changed type' },
  FIELD_REMOVED: { severity: 'breaking', what: 'a field is gone' },
  FIELD_RENAMED: { severity: 'breaking', what: 'a field was renamed (same place and type): code using the old name no longer compiles' },
  RESERVED_FIELD_USED: { severity: 'compatible', what: 'a reserved field was given a use (same place and size)' },
  FIELD_APPENDED_EXTENSIBLE: { severity: 'compatible', what: 'a field appended to an argsz-extensible struct whose ioctls do not encode its size' },
  FIELD_APPENDED_SIZE_ENCODED: { severity: 'breaking', what: 'a field appended to a struct whose size an ioctl number encodes' },
  FIELD_ADDED: { severity: 'breaking', what: 'a field added to a struct that is not extensible' },
  IOCTL_NUMBER_CHANGED: { severity: 'breaking', what: 'an ioctl number changed' },
  IOCTL_ARG_TYPE_CHANGED: { severity: 'breaking', what: 'an ioctl takes another argument type' },
  IOCTL_REMOVED: { severity: 'breaking', what: 'an ioctl is gone' },
  IOCTL_ADDED: { severity: 'compatible', what: 'a new ioctl' },
  LAYOUT_DIVERGED_ACROSS_ABIS: { severity: 'breaking', what: 'a layout that was the same on x86_64 and i386 now differs: 32-bit userspace on a 64-bit kernel needs compat handling' },
  CAPABILITY_ID_REUSED: { severity: 'breaking', what: 'a capability ID now stands for another struct' },
  CAPABILITY_ADDED: { severity: 'compatible', what: 'a new capability in a chain' },
  API_STRING_CHANGED: { severity: 'breaking', what: 'a device API string changed' },
  API_STRING_REMOVED: { severity: 'breaking', what: 'a device API string is gone' },
  API_STRING_ADDED: { severity: 'compatible', what: 'a new device API string' },
} as const satisfies Record<string, { severity: Severity; what: string }>;

export type ChangeCode = keyof typeof CHANGE_CLASSES;

export interface Place {
  file: string;
  line: number;
}

export interface Finding {
  code: ChangeCode;
  severity: Severity;
  /** The constant, record, field (`record.field`), ioctl or enumerator concerned. */
  subject: string;
  message: string;
  old?: Place;
  new?: Place;
  /** The ABIs on which it was seen. */
  abis: string[];
}

export function finding(code: ChangeCode, subject: string, message: string, where: { old?: Place; new?: Place }, abi: string): Finding {
  return { code, severity: CHANGE_CLASSES[code].severity, subject, message, ...where, abis: [abi] };
}

const ORDER: Record<Severity, number> = { breaking: 0, compatible: 1, info: 2 };

/** Merges the findings of several ABIs (same code and subject), in a stable order. */
export function mergeFindings(lists: Finding[][]): Finding[] {
  const byKey = new Map<string, Finding>();
  for (const list of lists) {
    for (const f of list) {
      const key = `${f.code} ${f.subject} ${f.message}`;
      const seen = byKey.get(key);
      if (seen) {
        for (const a of f.abis) if (!seen.abis.includes(a)) seen.abis.push(a);
      } else byKey.set(key, { ...f, abis: [...f.abis] });
    }
  }
  const place = (f: Finding) => f.new ?? f.old!;
  return [...byKey.values()].sort(
    (a, b) => ORDER[a.severity] - ORDER[b.severity] || place(a).file.localeCompare(place(b).file) || place(a).line - place(b).line || a.code.localeCompare(b.code) || a.subject.localeCompare(b.subject),
  );
}
