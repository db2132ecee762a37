// Garbage collections over a stretch of a benchmark: none means the code it ran allocated
// nothing worth collecting (the issue asks for GC counts over a million descriptors).
import { PerformanceObserver } from 'node:perf_hooks';

/** Now, as an absolute time (ms): each thread's performance.now() counts from its own origin, this from the same one. */
export function absoluteNow(): number {
  return performance.timeOrigin + performance.now();
}

/**
 * Records the collections of this thread from now on; `between(from, to)` stops and counts those
 * that began inside [from, to] (absolute times, so another thread can say when its stretch
 * began), once the observer has been told of them: a thread held by a loop hears of its
 * collections only when its event loop runs again.
 */
export function recordGcs(): { between: (from: number, to: number) => Promise<number> } {
  const starts: number[] = [];
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) starts.push(performance.timeOrigin + e.startTime);
  });
  obs.observe({ entryTypes: ['gc'] });
  return {
    between: async (from, to) => {
      await new Promise((r) => setTimeout(r, 50)); // let the observer deliver
      obs.disconnect();
      // Only collections that began inside the stretch: not one in the wait above, when other
      // work of the process (a stopped worker's leftovers) may run, nor one delivered late from before.
      return starts.filter((t) => t >= from && t <= to).length;
    },
  };
}

/** Starts counting; `stop` resolves to the count since. */
export function countGcs(): { stop: () => Promise<number> } {
  const start = absoluteNow();
  const recorded = recordGcs();
  return { stop: () => recorded.between(start, absoluteNow()) };
}

/** Garbage collections while `f` runs. */
export async function withGcCount<R>(f: () => R): Promise<{ result: R; gcs: number }> {
  const counter = countGcs();
  const result = f();
  return { result, gcs: await counter.stop() };
}
