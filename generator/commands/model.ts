// `uapigen model`: prints the semantic model of headers, as text or as the JSON document.
import { stringifyModel } from '../model/json.js';
import { summarizeModel } from '../model/summary.js';
import { buildModel } from '../pipeline.js';
import { parseCommon } from './usage.js';
import { WarningPrinter } from './warnings.js';

export function modelCommand(args: string[]): number {
  const a = parseCommon(args, { json: { type: 'boolean' } }, false);
  const model = buildModel(a.headers, { abi: a.abis[0], includeDirs: a.includeDirs, overrides: a.overrides });
  new WarningPrinter().print(model.diagnostics);
  process.stdout.write(a.values.json ? stringifyModel(model) : summarizeModel(model));
  return 0;
}
