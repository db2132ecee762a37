// Where things are in a JSON text: the first syntax error, and the offset of every value by
// its JSON pointer (`/units/2/abis/0`, as ajv names a field). A manifest error then points at
// the line and column of what is wrong, not at 1:1; Node's own parse errors name no position
// for most mistakes and quote the whole text, which in a diagnostic is noise.

export interface JsonScan {
  /** The first syntax error, if any (offsets are then recorded up to it). */
  error?: { offset: number; message: string };
  /** Where each value starts, by JSON pointer ('' for the document). */
  offsets: Map<string, number>;
}

const MAX_DEPTH = 512;

class JsonSyntax extends Error {
  constructor(
    readonly offset: number,
    message: string,
  ) {
    super(message);
  }
}

/** Scans a JSON text as JSON.parse reads it (RFC 8259), recording where each value starts. */
export function scanJson(text: string): JsonScan {
  const offsets = new Map<string, number>();
  let i = 0;
  const fail = (message: string): never => {
    throw new JsonSyntax(i, message);
  };
  const space = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i])) i++;
  };
  const found = () => (i >= text.length ? 'the end' : `'${text[i]}'`);
  /** Reads a string at the quote `i`; answers its text. */
  const string = (): string => {
    const start = i;
    for (i++; i < text.length; i++) {
      const c = text[i];
      if (c === '"') {
        i++;
        return JSON.parse(text.slice(start, i)) as string;
      }
      if (c === '\\') {
        const e = text[i + 1];
        if (e === 'u' ? !/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6)) : !'"\\/bfnrt'.includes(e ?? 'x')) fail('bad escape in a string');
        i += e === 'u' ? 5 : 1;
      } else if (c < ' ') fail('a control character in a string (a line break needs \\n)');
    }
    return fail('unterminated string');
  };
  const value = (pointer: string, depth: number): void => {
    if (depth > MAX_DEPTH) fail('nested too deep');
    space();
    offsets.set(pointer, i);
    const c = text[i];
    if (c === '{' || c === '[') {
      const close = c === '{' ? '}' : ']';
      i++;
      space();
      if (text[i] === close) {
        i++;
        return;
      }
      for (let index = 0; ; index++) {
        let key = String(index);
        if (c === '{') {
          space();
          if (text[i] !== '"') fail(`expected a property name in double quotes, found ${found()}`);
          key = string();
          space();
          if (text[i] !== ':') fail(`expected ':', found ${found()}`);
          i++;
        }
        value(`${pointer}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`, depth + 1);
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
    if (c === '"') {
      string();
      return;
    }
    const m = /^(-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?|true|false|null)/.exec(text.slice(i, i + 400));
    if (!m) fail(`expected a value, found ${found()}`);
    i += m![0].length;
  };
  try {
    value('', 0);
    space();
    if (i < text.length) fail(`unexpected ${found()} after the document`);
    return { offsets };
  } catch (e) {
    if (e instanceof JsonSyntax) return { error: { offset: Math.min(e.offset, text.length), message: e.message }, offsets };
    throw e;
  }
}

/** The offset of the value at `pointer`, or of the deepest part of it that exists. */
export function offsetOf(scan: JsonScan, pointer: string): number {
  for (let p = pointer; ; p = p.slice(0, p.lastIndexOf('/'))) {
    const at = scan.offsets.get(p);
    if (at !== undefined) return at;
    if (p === '') return 0;
  }
}
