// Owns how an instance's state moves over time: computed from the clock on every read, so tests
// advance a fake clock instead of waiting and no timer runs per instance.

import { phase } from "./kind.js";

export type DesiredState = "running" | "shutdown";

/**
 * How long each transitional state lasts (ms); the real service takes minutes, the order is what
 * matters: a launch goes queued → initializing → running, a restart starting → running, a stop
 * stopping → shutdown. These are the states go-oracle-terraform's WaitForInstanceRunning polls for.
 */
export const INSTANCE_TIMINGS = {
  queuedMs: 5_000,
  initializingMs: 55_000,
  startingMs: 20_000,
  stoppingMs: 30_000,
} as const;

/** The state `now`, for an instance asked to reach `desired` at `since` (epoch ms); `restart` after a stop. */
export function instanceState(desired: DesiredState, since: number, now: number, restart = false): string {
  const t = INSTANCE_TIMINGS;
  const age = now - since;
  if (desired === "shutdown")
    return phase(
      [
        ["stopping", t.stoppingMs],
        ["shutdown", 0],
      ],
      age,
    );
  if (restart)
    return phase(
      [
        ["starting", t.startingMs],
        ["running", 0],
      ],
      age,
    );
  return phase(
    [
      ["queued", t.queuedMs],
      ["initializing", t.initializingMs],
      ["running", 0],
    ],
    age,
  );
}
