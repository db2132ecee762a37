// The runtime's own limits: choices of this runtime, not numbers of the UAPI (those come from
// generated/). Kept in one place so that a reader sees every number the runtime picked itself.

/** How many times an argsz query is asked: it must grow each time, so a device cannot keep it looping (QEMU's rule, bounded). */
export const ARGSZ_MAX_ROUNDS = 4;
