// The host line the benches print above their figures (generator/tools/bench-host.ts): it names
// this machine's CPU, count, memory, node and the time given, and never prints a missing part
// as "undefined" or "NaN".
import { cpus } from 'node:os';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { benchHost } from '../../generator/tools/bench-host.js';

const t = suite('bench host line');

t('names the CPU, how many, node, the architecture and the time given', () => {
  const at = new Date(Date.UTC(2026, 11, 7, 12, 0, 0));
  const line = benchHost(at);
  const cores = cpus();
  assert.ok(line.startsWith('host: '), line);
  assert.ok(line.includes(cores.length > 0 ? cores[0].model.trim().replace(/\s+/g, ' ') : 'CPU model unknown'), line);
  assert.ok(line.includes(`(${cores.length} CPUs)`), line);
  assert.ok(line.includes(`node ${process.versions.node} (${process.arch})`), line);
  assert.ok(line.endsWith('2026-12-07T12:00:00.000Z'), line);
  assert.not.match(line, /undefined|NaN| at 0 MHz/);
});

t.run();
