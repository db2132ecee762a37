// `uapigen devices [--sim typed|fixed]`: the runtime's device listing. The generator does not
// import the runtime: this command loads its public entry only when it runs.
import { parseArgs } from 'node:util';
import { UsageError } from './usage.js';

export async function devicesCommand(args: string[]): Promise<number> {
  let values;
  try {
    values = parseArgs({ args, options: { sim: { type: 'string', default: 'typed' } } }).values;
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  if (values.sim !== 'typed' && values.sim !== 'fixed') throw new UsageError(`--sim must be typed or fixed, not '${values.sim}'`);
  const runtime = await import(new URL('../../runtime/index.js', import.meta.url).href);
  process.stdout.write(runtime.describeDevices(new runtime.SimKernel({ layout: values.sim })));
  return 0;
}
