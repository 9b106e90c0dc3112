// Owns how an instance's state moves over time: computed from the clock on every read, so tests
// advance a fake clock instead of waiting and no timer runs per instance.

export type DesiredState = "running" | "shutdown";

/** How long each transitional state lasts; the real service takes minutes, the shape is what matters. */
export const INSTANCE_TIMINGS = { queuedMs: 5_000, startingMs: 55_000, stoppingMs: 30_000 } as const;

/** The state `now`, for an instance asked to reach `desired` at `since` (epoch ms). */
export function instanceState(desired: DesiredState, since: number, now: number): string {
  const age = now - since;
  if (desired === "shutdown") return age < INSTANCE_TIMINGS.stoppingMs ? "stopping" : "shutdown";
  if (age < INSTANCE_TIMINGS.queuedMs) return "queued";
  if (age < INSTANCE_TIMINGS.queuedMs + INSTANCE_TIMINGS.startingMs) return "starting";
  return "running";
}
