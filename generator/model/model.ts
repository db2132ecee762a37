// The semantic model of a set of UAPI headers for one ABI: what the header means, not just
// what it declares. Built by the passes listed in generator/pipeline.ts.
import { Diagnostic, Loc } from '../diagnostics.js';
import { SourceFile } from '../source.js';
import { Abi } from './abi.js';
import { Declarations, TypedefDecl } from './declarations.js';
import { RecordLayout } from './layout.js';
import { CType, EnumDecl, RecordDecl } from './types.js';

export interface Constant {
  name: string;
  kind: 'integer' | 'string';
  value: bigint | string;
  /** The C type gcc gives the expression (`int`, `unsigned long`, `char[11]`). */
  type: string;
  /**
   * A string's code units, without the terminating zero: exactly what is stored, where `value`
   * (their text) cannot hold a byte that is not UTF-8 (`"\xff"`).
   */
  units?: number[];
  loc: Loc;
  /** The macro's replacement text, as written. */
  spelling: string;
  doc?: string;
}

/** A macro in the headers that is not a constant: empty, a type, function-like, or not evaluable. */
export interface OtherMacro {
  name: string;
  loc: Loc;
  functionLike: boolean;
  reason: string;
}

export interface RecordModel {
  decl: RecordDecl;
  /** The tag, or the typedef name of an untagged record. */
  name: string;
  /** How C spells the type: `struct vfio_region_info`, or a typedef name. */
  cSpelling: string;
  layout: RecordLayout;
  loc: Loc;
  doc?: string;
}

export interface EnumModel {
  decl: EnumDecl;
  /** The tag or typedef name; undefined for an anonymous enum. */
  name?: string;
  loc: Loc;
  doc?: string;
}

export type FlagKind = 'bit' | 'mask' | 'value';

/**
 * How a family's #defines encode the field. `flags`: each is what it sets (vfio.h's `(1 << 3)`),
 * kinds told by bit pattern. `bit-numbers`: each is a bit position, the flag 1 << it
 * (`VHOST_VRING_F_LOG 0`). `values`: each is one value of the field, not combined
 * (`VHOST_IOTLB_MISS 1` .. `6` of vhost_iotlb_msg.type), but for single bits well above them
 * that go with any (`VIRTIO_NET_HDR_GSO_ECN`), kind `bit`. The convention reads a run as values
 * when it counts in decimal or one macro composes its codes (bind-flag-families.ts); bit numbers
 * only an override can say.
 */
export type FlagEncoding = 'flags' | 'bit-numbers' | 'values';

export interface FlagFamily {
  /** Common prefix of the members (`VFIO_REGION_INFO_FLAG_`), or the member's own name when alone. */
  name: string;
  record: string;
  /** Dotted path of the field inside the record (`flags`, `payload.flags`). */
  field: string;
  /**
   * `flag` is what the member sets in the field: its value, or for a family of bit numbers
   * (`#define VHOST_VRING_F_LOG 0`, used as `1 << VHOST_VRING_F_LOG`) one shifted by it.
   */
  members: { constant: Constant; kind: FlagKind; flag: bigint }[];
  encoding: FlagEncoding;
  /**
   * convention: placed by where the run is written (bind-flag-families.ts); comment: under a
   * comment naming the field (`/* sqe->flags *\/`, bind-commented-families.ts); override: the manifest.
   */
  source: 'convention' | 'comment' | 'override';
  /** For source `comment`: the field as the comment names it, and where the comment is. */
  namedBy?: { ref: string; loc: Loc };
}

export type IoctlDirection = 'none' | 'write' | 'read' | 'read-write';

export interface IoctlForm {
  /** `_IO`, `_IOR`, `_IOW` or `_IOWR`. */
  macro: string;
  direction: IoctlDirection;
  /** The type argument as written (`VFIO_TYPE`) and the number argument (`VFIO_BASE + 8`). */
  typeArg: string;
  nrArg: string;
  /** The argument type as written (`struct vfio_region_info`); undefined for `_IO`. */
  argType?: string;
  argCType?: CType;
}

export interface Ioctl {
  name: string;
  constant: Constant;
  value: bigint;
  /** Fields decoded from the number by asm-generic/ioctl.h's own shifts and masks. */
  decoded: { direction: IoctlDirection; type: number; nr: number; size: number };
  encoded: IoctlForm;
  /** What the doc comment declares (`NAME - _IOWR(TYPE, NR, struct x)`), when it says. */
  declared?: IoctlForm & { loc: Loc };
}

export interface CapabilityFamily {
  /** The info struct whose `cap_offset` starts the chain (`vfio_region_info`). */
  info: string;
  /** The struct every capability begins with (`vfio_info_cap_header`). */
  header: string;
  members: { id: Constant; record: string; headerOnly: boolean }[];
}

export interface ApiStringFamily {
  prefix: string;
  suffix: string;
  members: Constant[];
}

export interface IndexEnum {
  /** A stable name for the (usually anonymous) enum: the common prefix plus the kind. */
  name: string;
  kind: 'region' | 'irq';
  enumName?: string;
  members: { name: string; value: bigint }[];
  /** The `*_NUM_REGIONS` / `*_NUM_IRQS` member, which counts the others. */
  count?: string;
  loc: Loc;
}

export interface Model {
  abi: Abi;
  /** The headers asked for. */
  headers: SourceFile[];
  /** Every file read, the headers' includes too. */
  files: SourceFile[];
  constants: Constant[];
  otherMacros: OtherMacro[];
  records: RecordModel[];
  enums: EnumModel[];
  typedefs: TypedefDecl[];
  flagFamilies: FlagFamily[];
  ioctls: Ioctl[];
  capabilityFamilies: CapabilityFamily[];
  apiStrings: ApiStringFamily[];
  indexEnums: IndexEnum[];
  /** Notes and warnings gathered on the way (skipped declarations, ...). */
  diagnostics: Diagnostic[];
  /** The declarations of the whole translation unit, included headers too. */
  declarations: Declarations;
}

/** A member as a reviewer reads it: its value in hex, or `bit N (0x..)` in a family of bit numbers. */
export function flagText(family: FlagFamily, member: FlagFamily['members'][number]): string {
  const hex = `0x${member.flag.toString(16)}`;
  return family.encoding === 'bit-numbers' ? `bit ${member.constant.value} (${hex})` : hex;
}

export function emptyModel(abi: Abi, declarations: Declarations): Model {
  return {
    abi,
    headers: [],
    files: [],
    constants: [],
    otherMacros: [],
    records: [],
    enums: [],
    typedefs: [],
    flagFamilies: [],
    ioctls: [],
    capabilityFamilies: [],
    apiStrings: [],
    indexEnums: [],
    diagnostics: [],
    declarations,
  };
}
