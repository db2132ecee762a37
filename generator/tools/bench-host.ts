// The machine a bench ran on, printed above its figures. Rates are only comparable on one CPU
// (and, on a shared host, only within one run: the ring bench puts C beside JS for that), so a
// figure copied out of a run carries the line that says where it came from.
import { cpus, totalmem } from 'node:os';

const GIB = 1024 ** 3;

/** `host: <CPU model>[ at <MHz>] (<n> CPUs), <memory> GiB, node <version> (<arch>), <ISO date>`. */
export function benchHost(now = new Date()): string {
  const cores = cpus();
  // os.cpus() is empty where /proc/cpuinfo cannot be read (some containers): say so, not "undefined".
  const first = cores.at(0);
  const model = first === undefined ? 'CPU model unknown' : first.model.trim().replace(/\s+/g, ' ');
  // The clock as the OS reports it; 0 under some hypervisors, where it is left out rather than printed as 0.
  const mhz = first !== undefined && first.speed > 0 ? ` at ${first.speed} MHz` : '';
  return `host: ${model}${mhz} (${cores.length} CPUs), ${(totalmem() / GIB).toFixed(1)} GiB, node ${process.versions.node} (${process.arch}), ${now.toISOString()}`;
}
