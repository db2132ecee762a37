// One fuzz case: the model of a mutated header must be a model or diagnostics with locations.
import { DiagnosticError } from '../../generator/diagnostics.js';
import { buildModel } from '../../generator/pipeline.js';
import { FileCache } from '../../generator/preprocess/preprocessor.js';
import { SourceFile } from '../../generator/source.js';

export type Outcome = 'model' | 'diagnostic' | 'diagnostic-without-location' | 'crash';

export function runCase(cache: FileCache, name: string, text: string): { outcome: Outcome; detail?: string } {
  const path = `/uapigen-fuzz/${name}`;
  cache.put(new SourceFile(path, path, text));
  try {
    buildModel([path], { abi: 'x86_64', cache });
    return { outcome: 'model' };
  } catch (e) {
    if (e instanceof DiagnosticError) {
      const bad = e.diagnostics.find((d) => !d.loc);
      return bad ? { outcome: 'diagnostic-without-location', detail: bad.message } : { outcome: 'diagnostic' };
    }
    return { outcome: 'crash', detail: String(e instanceof Error ? e.stack : e) };
  }
}
