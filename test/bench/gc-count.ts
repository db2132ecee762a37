// Garbage collections over a stretch of a benchmark: none means the code it ran allocated
// nothing worth collecting (the issue asks for GC counts over a million descriptors).
import { PerformanceObserver } from 'node:perf_hooks';

/** How long a thread waits, after the stretch it measured, for its observer to be told of the collections in it. */
export const GC_REPORT_DELAY_MS = 50;

/** Starts counting; `stop` resolves to the count once the observer has delivered. */
export function countGcs(): { stop: () => Promise<number> } {
  const start = performance.now();
  const starts: number[] = [];
  const obs = new PerformanceObserver((list) => starts.push(...list.getEntries().map((e) => e.startTime)));
  obs.observe({ entryTypes: ['gc'] });
  return {
    stop: async () => {
      const end = performance.now();
      await new Promise((r) => setTimeout(r, GC_REPORT_DELAY_MS)); // let the observer deliver
      obs.disconnect();
      // Only collections that began inside the stretch: not one in the wait above, when other
      // work of the process (a stopped worker's leftovers) may run, nor one delivered late from before.
      return starts.filter((t) => t >= start && t <= end).length;
    },
  };
}

/** Garbage collections while `f` runs. */
export async function withGcCount<R>(f: () => R): Promise<{ result: R; gcs: number }> {
  const counter = countGcs();
  const result = f();
  return { result, gcs: await counter.stop() };
}
