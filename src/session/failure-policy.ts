// Owns what to do after a failed login or refresh: retry later, log in now, or stop. Pure: no
// events, no timers, no state; the manager counts, decides here, then acts.

import type { Random } from "../clock.js";
import { rejectedWait, transientWait, type RetryPolicy } from "./backoff.js";
import type { FailureKind, SessionOp, SessionPhase } from "./events.js";

/** What the manager knows when a login or refresh has just failed. */
export interface FailureFacts {
  op: SessionOp;
  kind: FailureKind;
  /** Consecutive failures, this one included (≥ 1). */
  failures: number;
  /** Consecutive rejected logins (kind rejected or credentials), this one included. */
  rejections: number;
  /** Refresh only: how long the held token is still usable, ms (0 when none is held). */
  tokenLeftMs: number;
}

export type Decision =
  /** Try `action` again after `waitMs`; while waiting without a usable cookie, the phase is `phase`. */
  | { do: "retry"; action: SessionOp; waitMs: number; phase?: SessionPhase }
  /** Give up on the refresh and log in at once, in the same flight (dropping the token when refused). */
  | { do: "login-now"; dropCookie: boolean; reason: string }
  /** Stop logging in (accounts lock after repeated failures) until the password source changes. */
  | { do: "block" };

/**
 * Decides the next step after a failure. `random` feeds the jitter of transient waits.
 * Refresh: a refused one (expired, rejected) or one too close to the token's end logs in now;
 * else it is retried with backoff, but at the latest halfway through what is left of the token.
 * Login: rejected credentials wait policy.rejectedWaitsMs[n] and then block; an unreadable password
 * source blocks at once; anything else backs off exponentially.
 */
export function decide(f: FailureFacts, policy: RetryPolicy, random: Random): Decision {
  if (f.op === "refresh") {
    // Halving the wait near expiry would retry ever faster; below the shortest backoff, log in instead.
    if (f.kind !== "transient" || f.tokenLeftMs / 2 < policy.transientInitialMs) {
      const refused = f.kind === "expired";
      return {
        do: "login-now",
        dropCookie: refused,
        reason: refused ? "the refresh was refused" : "the token ran out while refresh failed",
      };
    }
    const waitMs = Math.min(transientWait(policy, f.failures, random), Math.max(0, f.tokenLeftMs / 2));
    return { do: "retry", action: "refresh", waitMs };
  }
  if (f.kind === "rejected" || f.kind === "credentials") {
    const waitMs = f.kind === "rejected" ? rejectedWait(policy, f.rejections) : undefined;
    if (waitMs === undefined) return { do: "block" };
    return { do: "retry", action: "login", waitMs, phase: "rejected" };
  }
  return { do: "retry", action: "login", waitMs: transientWait(policy, f.failures, random), phase: "backoff" };
}
