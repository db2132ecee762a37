// `uapigen verify`: checks the model against gcc, ABI by ABI. Exit 1 on any mismatch.
import { buildModel } from '../pipeline.js';
import { verifyModel } from '../verify/verify.js';
import { parseCommon } from './usage.js';
import { WarningPrinter } from './warnings.js';

export function verifyCommand(args: string[]): number {
  const a = parseCommon(args, {}, true);
  let failed = false;
  const warnings = new WarningPrinter();
  for (const abi of a.abis) {
    const model = buildModel(a.headers, { abi, includeDirs: a.includeDirs, overrides: a.overrides });
    warnings.print(model.diagnostics);
    const report = verifyModel(model, a.headers, a.includeDirs);
    process.stdout.write(report.text);
    failed ||= !report.ok;
  }
  return failed ? 1 : 0;
}
