// The ring bench's cases by name, and the buffer each descriptor carries: one list for
// ring-case.ts (which runs one case), rings.ts (which runs them all) and their test, which
// must not load ring-case.ts (it runs a case as soon as it is loaded).
export const RING_CASES = ['bursts', 'bursts-shared', 'one-a-call', 'one-a-call-bigint', 'one-loop', 'four-calls', 'floor'] as const;
export type RingCase = (typeof RING_CASES)[number];
/** Bytes in each descriptor's buffer, as in ring.c. */
export const BUFFER = 64;
