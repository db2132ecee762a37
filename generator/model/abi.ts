// The two ABIs uapigen models. Everything that differs between them is in this table:
// the compiler's predefined macros, where system headers are searched, and the size and
// alignment of each scalar type. (Facts of the System V psABI for x86-64 and i386, as gcc 12
// implements them; `uapigen verify` checks the consequences against gcc itself.)
import { existsSync, readdirSync } from 'node:fs';

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
  predefined: Record<string, string>;
  /** Directories after the user's -I, in gcc's order for this ABI. */
  systemIncludeDirs(): string[];
}

const common: Record<string, string> = {
  __STDC__: '1',
  __STDC_VERSION__: '201710L',
  __STDC_HOSTED__: '1',
  __GNUC__: '12',
  __GNUC_MINOR__: '2',
  __GNUC_PATCHLEVEL__: '0',
  __GNUC_STDC_INLINE__: '1',
  __linux__: '1',
  __linux: '1',
  linux: '1',
  __unix__: '1',
  __unix: '1',
  unix: '1',
  __gnu_linux__: '1',
  __ELF__: '1',
  __CHAR_BIT__: '8',
  __ORDER_LITTLE_ENDIAN__: '1234',
  __ORDER_BIG_ENDIAN__: '4321',
  __ORDER_PDP_ENDIAN__: '3412',
  __BYTE_ORDER__: '__ORDER_LITTLE_ENDIAN__',
  __FLOAT_WORD_ORDER__: '__ORDER_LITTLE_ENDIAN__',
  __SIZEOF_INT__: '4',
  __SIZEOF_SHORT__: '2',
  __SIZEOF_LONG_LONG__: '8',
  __SIZEOF_FLOAT__: '4',
  __SIZEOF_DOUBLE__: '8',
  __SCHAR_MAX__: '0x7f',
  __SHRT_MAX__: '0x7fff',
  __INT_MAX__: '0x7fffffff',
  __LONG_LONG_MAX__: '0x7fffffffffffffffLL',
  __CHAR16_TYPE__: 'short unsigned int',
  __CHAR32_TYPE__: 'unsigned int',
  __WCHAR_TYPE__: 'int',
  __INT8_TYPE__: 'signed char',
  __INT16_TYPE__: 'short int',
  __INT32_TYPE__: 'int',
  __UINT8_TYPE__: 'unsigned char',
  __UINT16_TYPE__: 'short unsigned int',
  __UINT32_TYPE__: 'unsigned int',
};

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
    predefined: {
      ...common,
      __x86_64__: '1', __x86_64: '1', __amd64__: '1', __amd64: '1', __LP64__: '1', _LP64: '1',
      __SIZEOF_LONG__: '8', __SIZEOF_POINTER__: '8', __SIZEOF_LONG_DOUBLE__: '16', __SIZEOF_SIZE_T__: '8',
      __SIZEOF_INT128__: '16',
      __LONG_MAX__: '0x7fffffffffffffffL',
      __SIZE_TYPE__: 'long unsigned int', __PTRDIFF_TYPE__: 'long int',
      __INT64_TYPE__: 'long int', __UINT64_TYPE__: 'long unsigned int',
      __INTPTR_TYPE__: 'long int', __UINTPTR_TYPE__: 'long unsigned int',
      __INTMAX_TYPE__: 'long int', __UINTMAX_TYPE__: 'long unsigned int',
    },
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
    predefined: {
      ...common,
      __i386__: '1', __i386: '1', i386: '1', __ILP32__: '1',
      __SIZEOF_LONG__: '4', __SIZEOF_POINTER__: '4', __SIZEOF_LONG_DOUBLE__: '12', __SIZEOF_SIZE_T__: '4',
      __LONG_MAX__: '0x7fffffffL',
      __SIZE_TYPE__: 'unsigned int', __PTRDIFF_TYPE__: 'int',
      __INT64_TYPE__: 'long long int', __UINT64_TYPE__: 'long long unsigned int',
      __INTPTR_TYPE__: 'int', __UINTPTR_TYPE__: 'unsigned int',
      __INTMAX_TYPE__: 'long long int', __UINTMAX_TYPE__: 'long long unsigned int',
    },
    systemIncludeDirs: () => [...gccIncludeDir(), '/usr/local/include', '/usr/include'],
  },
};

export function parseAbi(name: string): AbiName | undefined {
  return (ABI_NAMES as readonly string[]).includes(name) ? (name as AbiName) : undefined;
}
