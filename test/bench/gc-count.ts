// Garbage collections over a stretch of a benchmark: none means the code it ran allocated
// nothing worth collecting (the issue asks for GC counts over a million descriptors).
import { PerformanceObserver } from 'node:perf_hooks';

/** Starts counting; `stop` resolves to the count once the observer has delivered. */
export function countGcs(): { stop: () => Promise<number> } {
  let gcs = 0;
  const obs = new PerformanceObserver((list) => (gcs += list.getEntries().length));
  obs.observe({ entryTypes: ['gc'] });
  return {
    stop: async () => {
      await new Promise((r) => setTimeout(r, 50)); // let the observer deliver
      obs.disconnect();
      return gcs;
    },
  };
}

/** Garbage collections while `f` runs. */
export async function withGcCount<R>(f: () => R): Promise<{ result: R; gcs: number }> {
  const counter = countGcs();
  const result = f();
  return { result, gcs: await counter.stop() };
}
