// `uapigen devices [--sim typed|fixed] [--kernel]`: the runtime's device listing, of the simulated
// device or of what the real kernel has bound to vfio-pci. The generator does not
// import the runtime: this command loads its public entry only when it runs.
import { parseArgs } from 'node:util';
import { UsageError } from './usage.js';

export async function devicesCommand(args: string[]): Promise<number> {
  let values;
  try {
    values = parseArgs({ args, options: { sim: { type: 'string', default: 'typed' }, kernel: { type: 'boolean', default: false } } }).values;
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  if (values.sim !== 'typed' && values.sim !== 'fixed') throw new UsageError(`--sim must be typed or fixed, not '${values.sim}'`);
  const runtime = await import(new URL('../../runtime/index.js', import.meta.url).href);
  if (!values.kernel) {
    process.stdout.write(runtime.describeDevices(new runtime.SimKernel({ layout: values.sim })));
    return 0;
  }
  // The real kernel: what is bound to vfio-pci, through koffi. A missing koffi, /dev/vfio or
  // permission is the user's to fix, said in one line.
  try {
    process.stdout.write(runtime.describeVfioPciDevices(new runtime.LinuxBackend()));
    return 0;
  } catch (e) {
    if (e instanceof runtime.LinuxBackendUnavailable || e instanceof runtime.SyscallError) {
      process.stderr.write(`uapigen devices --kernel: ${(e as Error).message}\n`);
      return 1;
    }
    throw e;
  }
}
