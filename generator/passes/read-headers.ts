// Finds and lexes the headers asked for: a path, or a name as an #include would give it.
import { existsSync } from 'node:fs';
import { isAbsolute, relative, resolve } from 'node:path';
import type { Session } from '../pipeline.js';

/**
 * How a header argument is meant: a path (absolute, ./ or ../, or a file that exists from
 * here) or a name to search like `#include <...>`. verify's probe uses the same rule.
 */
export function isPathArgument(name: string): boolean {
  return isAbsolute(name) || name.startsWith('./') || name.startsWith('../') || existsSync(name);
}

export function readHeaders(s: Session): void {
  const dirs = [...(s.options.includeDirs ?? []), ...s.abi.systemIncludeDirs()];
  for (const name of s.headerNames) {
    const asPath = isPathArgument(name) ? name : undefined;
    let path: string | undefined;
    if (asPath !== undefined) {
      path = resolve(asPath);
    } else {
      const dir = dirs.find((d) => existsSync(resolve(d, name)));
      if (dir) path = resolve(dir, name);
    }
    const root = s.options.displayRoot;
    const display = root && path && isAbsolute(name) && !relative(root, path).startsWith('..') ? relative(root, path) : name;
    const lexed = path ? s.cache.get(path, display, s.diags) : null;
    if (!lexed) {
      s.diags.error('UG901', `cannot find header '${name}' (searched ${asPath !== undefined ? 'as a path' : dirs.join(', ')})`);
      continue;
    }
    s.headers.push(lexed);
  }
}
