// Deterministic mutations of real headers: truncation, deleted or duplicated tokens, swapped
// lines, random bytes. A seed makes every case reproducible.
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const TOKEN = /[A-Za-z_][A-Za-z0-9_]*|\d\w*|"(?:[^"\\\n]|\\.)*"|\/\*|\*\/|[^\sA-Za-z0-9_]/g;
const NOISE = ['(', ')', '{', '}', '#', '##', '"', "'", '/*', '\\', ';', ',', '#if', '#endif', '#define', '__attribute__((', '\0', '\u00e9'];

export function mutate(text: string, random: () => number): { text: string; how: string } {
  const pick = (n: number) => Math.floor(random() * n);
  const tokens = [...text.matchAll(TOKEN)];
  const kind = pick(6);
  if (kind === 0) {
    const at = pick(text.length);
    return { text: text.slice(0, at), how: `truncate at ${at}` };
  }
  if ((kind === 1 || kind === 2) && tokens.length) {
    const t = tokens[pick(tokens.length)];
    const start = t.index!;
    const end = start + t[0].length;
    if (kind === 1) return { text: text.slice(0, start) + text.slice(end), how: `delete '${t[0]}' at ${start}` };
    return { text: text.slice(0, end) + ' ' + t[0] + text.slice(end), how: `duplicate '${t[0]}' at ${start}` };
  }
  if (kind === 3) {
    const lines = text.split('\n');
    const a = pick(lines.length);
    const b = pick(lines.length);
    [lines[a], lines[b]] = [lines[b], lines[a]];
    return { text: lines.join('\n'), how: `swap lines ${a + 1} and ${b + 1}` };
  }
  if (kind === 4) {
    const at = pick(text.length);
    const bytes = Array.from({ length: 1 + pick(4) }, () => String.fromCharCode(pick(256))).join('');
    return { text: text.slice(0, at) + bytes + text.slice(at), how: `insert ${JSON.stringify(bytes)} at ${at}` };
  }
  const at = pick(text.length);
  const noise = NOISE[pick(NOISE.length)];
  return { text: text.slice(0, at) + noise + text.slice(at), how: `insert ${JSON.stringify(noise)} at ${at}` };
}
