// The two ABIs uapigen models. Everything that differs between them is in this table:
// the compiler's predefined macros, where system headers are searched, and the size and
// alignment of each scalar type. (Facts of the System V psABI for x86-64 and i386, as gcc 12
// implements them; `uapigen verify` checks the consequences against gcc itself.)
import { existsSync, readdirSync } from 'node:fs';
import { GCC_PREDEFINED } from './gcc-predefined.js';

export type AbiName = 'x86_64' | 'i386';
export const ABI_NAMES: readonly AbiName[] = ['x86_64', 'i386'];

export type ScalarName =
  | 'char' | 'signed char' | 'unsigned char' | '_Bool'
  | 'short' | 'unsigned short' | 'int' | 'unsigned int'
  | 'long' | 'unsigned long' | 'long long' | 'unsigned long long'
  | '__int128' | 'unsigned __int128'
  | 'float' | 'double' | 'long double' | '__float128' | 'pointer';

export interface ScalarLayout {
  size: number;
  /** Alignment as a struct member (what `_Alignof` reports). */
  align: number;
}

export interface Abi {
  name: AbiName;
  /** gcc's flag for it. */
  gccFlag: string;
  scalars: Record<ScalarName, ScalarLayout>;
  /** Where GNU `__alignof__` (the preferred alignment) differs from the ABI alignment. */
  preferredAlign: Partial<Record<ScalarName, number>>;
  /** `size_t`: the type of `sizeof`. */
  sizeType: 'unsigned long' | 'unsigned int';
  /** gcc's predefined macros, as `#define` lines (gcc-predefined.ts). */
  predefined: string;
  /** Directories after the user's -I, in gcc's order for this ABI. */
  systemIncludeDirs(): string[];
}

/** The scalars both ABIs lay out alike. */
const COMMON_SCALARS = {
  char: { size: 1, align: 1 }, 'signed char': { size: 1, align: 1 }, 'unsigned char': { size: 1, align: 1 },
  _Bool: { size: 1, align: 1 },
  short: { size: 2, align: 2 }, 'unsigned short': { size: 2, align: 2 },
  int: { size: 4, align: 4 }, 'unsigned int': { size: 4, align: 4 },
  __int128: { size: 16, align: 16 }, 'unsigned __int128': { size: 16, align: 16 },
  float: { size: 4, align: 4 }, __float128: { size: 16, align: 16 },
} as const;

function gccIncludeDir(): string[] {
  // gcc's own headers (stddef.h, stdint.h wrappers) come first in its search list.
  const base = '/usr/lib/gcc/x86_64-linux-gnu';
  if (!existsSync(base)) return [];
  const versions = readdirSync(base)
    .filter((v) => existsSync(`${base}/${v}/include`))
    .sort((a, b) => Number.parseInt(b, 10) - Number.parseInt(a, 10));
  return versions.length ? [`${base}/${versions[0]}/include`] : [];
}

export const ABIS: Record<AbiName, Abi> = {
  x86_64: {
    name: 'x86_64',
    gccFlag: '-m64',
    sizeType: 'unsigned long',
    scalars: {
      ...COMMON_SCALARS,
      long: { size: 8, align: 8 }, 'unsigned long': { size: 8, align: 8 },
      'long long': { size: 8, align: 8 }, 'unsigned long long': { size: 8, align: 8 },
      double: { size: 8, align: 8 }, 'long double': { size: 16, align: 16 },
      pointer: { size: 8, align: 8 },
    },
    preferredAlign: {},
    predefined: GCC_PREDEFINED.x86_64,
    systemIncludeDirs: () => [...gccIncludeDir(), '/usr/local/include', '/usr/include/x86_64-linux-gnu', '/usr/include'],
  },
  i386: {
    name: 'i386',
    gccFlag: '-m32',
    sizeType: 'unsigned int',
    scalars: {
      ...COMMON_SCALARS,
      long: { size: 4, align: 4 }, 'unsigned long': { size: 4, align: 4 },
      // The i386 psABI aligns 64-bit integers and doubles to 4 inside structs.
      'long long': { size: 8, align: 4 }, 'unsigned long long': { size: 8, align: 4 },
      double: { size: 8, align: 4 }, 'long double': { size: 12, align: 4 },
      pointer: { size: 4, align: 4 },
    },
    preferredAlign: { 'long long': 8, 'unsigned long long': 8, double: 8 },
    predefined: GCC_PREDEFINED.i386,
    systemIncludeDirs: () => [...gccIncludeDir(), '/usr/local/include', '/usr/include'],
  },
};

const PREDEFINED_BODIES = new WeakMap<Abi, Map<string, string>>();

/** The body gcc predefines a macro with for this ABI (`__WCHAR_TYPE__` is `long int` on i386), or undefined. */
export function predefinedBody(abi: Abi, name: string): string | undefined {
  let bodies = PREDEFINED_BODIES.get(abi);
  if (!bodies) {
    // Object-like ones only (`#define NAME BODY`): the ones a type or a width is read from.
    bodies = new Map(abi.predefined.split('\n').flatMap((l) => {
      const m = /^#define ([A-Za-z_]\w*) (.*)$/.exec(l);
      return m ? [[m[1], m[2]] as [string, string]] : [];
    }));
    PREDEFINED_BODIES.set(abi, bodies);
  }
  return bodies.get(name);
}

export function parseAbi(name: string): AbiName | undefined {
  return (ABI_NAMES as readonly string[]).includes(name) ? (name as AbiName) : undefined;
}
