// Renders a diff result through the handlebars templates beside this file (text, markdown,
// html) or as JSON. Templates are compiled in strict mode, so a missing field is an error,
// not a blank; text and markdown are not HTML-escaped.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Handlebars from 'handlebars';
import { PACKAGE_ROOT } from '../manifest.js';
import { CHANGE_CLASSES, Finding, Severity } from './findings.js';
import { DiffResult } from './run.js';

export type ReportFormat = 'text' | 'markdown' | 'json' | 'html';
export const REPORT_FORMATS: ReportFormat[] = ['text', 'markdown', 'json', 'html'];

const TEMPLATES = join(PACKAGE_ROOT, 'generator', 'diff', 'templates');
const COLORS: Record<Severity, string> = { breaking: '1;31', compatible: '32', info: '36' };

function counts(findings: Finding[]): Record<Severity, number> {
  const c = { breaking: 0, compatible: 0, info: 0 };
  for (const f of findings) c[f.severity]++;
  return c;
}

/** Every finding with old and new present (null when absent): strict templates need each field. */
function view(r: DiffResult) {
  const findings = r.findings.map((f) => ({ ...f, old: f.old ?? null, new: f.new ?? null }));
  return {
    oldLabel: r.oldLabel,
    newLabel: r.newLabel,
    abis: r.abis,
    notes: r.notes,
    findings,
    counts: counts(r.findings),
    groups: (['breaking', 'compatible', 'info'] as const).map((s) => ({ title: s, findings: findings.filter((f) => f.severity === s) })),
    pictures: r.pictures,
  };
}

export function renderReport(r: DiffResult, format: ReportFormat, color = false): string {
  if (format === 'json') {
    const v = view(r);
    return JSON.stringify({ schema: 'uapigen-diff/1', old: v.oldLabel, new: v.newLabel, abis: v.abis, counts: v.counts, notes: v.notes, classes: CHANGE_CLASSES, findings: r.findings }, null, 2) + '\n';
  }
  const hb = Handlebars.create();
  hb.registerHelper('join', (list: unknown[], sep: string) => list.join(sep));
  hb.registerHelper('paint', (sev: Severity) => (color ? `\x1b[${COLORS[sev]}m${sev}\x1b[0m` : sev));
  hb.registerHelper('where', (f: { new: { file: string; line: number } | null; old: { file: string; line: number } | null }) => {
    const p = f.new ?? f.old!;
    return `${p.file}:${p.line}`;
  });
  const template = hb.compile(readFileSync(join(TEMPLATES, `${format}.hbs`), 'utf8'), { strict: true, noEscape: format !== 'html' });
  return template(view(r));
}
