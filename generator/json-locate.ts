// Where a value sits in a JSON text, by its JSON pointer (`/units/2/abis/0`, as ajv names a
// field): so a manifest error points at the line and column of what is wrong, not at 1:1.
// The text has already parsed, so the scan trusts its shape.

/** The offset of the value at `pointer` in `text`, or of the deepest part of it that exists. */
export function locateJsonPointer(text: string, pointer: string): number {
  const keys = pointer.split('/').slice(1).map((k) => k.replace(/~1/g, '/').replace(/~0/g, '~'));
  let at = skipSpace(text, 0);
  for (const key of keys) {
    const inside = childAt(text, at, key);
    if (inside === undefined) return at;
    at = inside;
  }
  return at;
}

function skipSpace(text: string, i: number): number {
  while (i < text.length && /\s/.test(text[i])) i++;
  return i;
}

/** The end of the string starting at the quote `i` (just past its closing quote). */
function endOfString(text: string, i: number): number {
  for (let k = i + 1; k < text.length; k++) {
    if (text[k] === '\\') k++;
    else if (text[k] === '"') return k + 1;
  }
  return text.length;
}

/** The end of the value starting at `i`. */
function endOfValue(text: string, i: number): number {
  if (text[i] === '"') return endOfString(text, i);
  if (text[i] === '{' || text[i] === '[') {
    let depth = 0;
    for (let k = i; k < text.length; k++) {
      const c = text[k];
      if (c === '"') k = endOfString(text, k) - 1;
      else if (c === '{' || c === '[') depth++;
      else if ((c === '}' || c === ']') && --depth === 0) return k + 1;
    }
    return text.length;
  }
  let k = i;
  while (k < text.length && !/[\s,\]}]/.test(text[k])) k++;
  return k;
}

/** The offset of the member `key` of the object, or element `key` of the array, starting at `at`. */
function childAt(text: string, at: number, key: string): number | undefined {
  const open = text[at];
  if (open !== '{' && open !== '[') return undefined;
  let i = skipSpace(text, at + 1);
  for (let index = 0; i < text.length && text[i] !== '}' && text[i] !== ']'; index++) {
    let name: string | undefined;
    if (open === '{') {
      const end = endOfString(text, i);
      name = JSON.parse(text.slice(i, end)) as string;
      i = skipSpace(text, end);
      i = skipSpace(text, i + 1); // the ':'
    }
    if ((open === '{' ? name : String(index)) === key) return i;
    i = skipSpace(text, endOfValue(text, i));
    if (text[i] === ',') i = skipSpace(text, i + 1);
  }
  return undefined;
}

/**
 * The first syntax error in a JSON text, with its offset, or undefined when it parses. Node's
 * own messages name no position for most errors and quote the whole text, which in a
 * diagnostic is noise; this names the spot.
 */
export function jsonSyntaxError(text: string): { offset: number; message: string } | undefined {
  let i = 0;
  const fail = (message: string): never => {
    throw new JsonSyntax(i, message);
  };
  const space = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i])) i++;
  };
  const found = () => (i >= text.length ? 'the end' : `'${text[i]}'`);
  const value = (depth: number): void => {
    if (depth > 512) fail('nested too deep');
    space();
    const c = text[i];
    if (c === '{' || c === '[') {
      const close = c === '{' ? '}' : ']';
      i++;
      space();
      if (text[i] === close) {
        i++;
        return;
      }
      for (;;) {
        if (c === '{') {
          space();
          if (text[i] !== '"') fail(`expected a property name in double quotes, found ${found()}`);
          string();
          space();
          if (text[i] !== ':') fail(`expected ':', found ${found()}`);
          i++;
        }
        value(depth + 1);
        space();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === close) {
          i++;
          return;
        }
        fail(`expected ',' or '${close}', found ${found()}`);
      }
    }
    if (c === '"') return string();
    const m = /^(-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?|true|false|null)/.exec(text.slice(i, i + 400));
    if (!m) fail(`expected a value, found ${found()}`);
    i += m![0].length;
  };
  const string = (): void => {
    for (i++; i < text.length; i++) {
      const c = text[i];
      if (c === '"') {
        i++;
        return;
      }
      if (c === '\\') {
        const e = text[i + 1];
        if (e === 'u' ? !/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6)) : !'"\\/bfnrt'.includes(e ?? 'x')) fail('bad escape in a string');
        i += e === 'u' ? 5 : 1;
      } else if (c < ' ') fail('a control character in a string (a line break needs \\n)');
    }
    fail('unterminated string');
  };
  try {
    value(0);
    space();
    if (i < text.length) fail(`unexpected ${found()} after the document`);
    return undefined;
  } catch (e) {
    if (e instanceof JsonSyntax) return { offset: Math.min(e.offset, text.length), message: e.message };
    throw e;
  }
}

class JsonSyntax extends Error {
  constructor(
    readonly offset: number,
    message: string,
  ) {
    super(message);
  }
}
