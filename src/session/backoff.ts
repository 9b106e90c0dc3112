// Owns the retry policy: how long to wait after a transient failure, after a rejected login,
// and when a token should be refreshed. One policy, used by the session manager only.

import type { Random } from "../clock.js";

export interface RetryPolicy {
  /** First wait after a transient failure (network, 5xx, timeout). */
  transientInitialMs: number;
  /** Longest wait after repeated transient failures. */
  transientMaxMs: number;
  /** Waits after the 1st, 2nd, … rejected login; after the last one the session is blocked. */
  rejectedWaitsMs: readonly number[];
  /** Refresh when this fraction of the token's remaining life has passed. */
  refreshFraction: number;
  /** Up to this fraction of a wait is removed at random, so many proxies do not move in step. */
  jitter: number;
  /**
   * How long a request may wait for a session (ms) through transient login failures: it waits for
   * the next login retry when that is due within this long of its arrival, else it gets 503 at once.
   */
  loginWaitMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  transientInitialMs: 1_000,
  transientMaxMs: 60_000,
  rejectedWaitsMs: [10_000, 30_000],
  refreshFraction: 0.75,
  jitter: 0.1,
  // Covers the first retries (about 1 + 2 + 4 s): one reset on a login is not every waiting client's failure.
  loginWaitMs: 10_000,
};

/** Exponential backoff with jitter for the n-th consecutive transient failure (n ≥ 1). */
export function transientWait(policy: RetryPolicy, n: number, random: Random): number {
  const base = Math.min(policy.transientMaxMs, policy.transientInitialMs * 2 ** Math.min(30, n - 1));
  return Math.round(base * (1 - policy.jitter * random()));
}

/** Wait after the n-th consecutive rejected login, or undefined when the next step is to stop. */
export function rejectedWait(policy: RetryPolicy, n: number): number | undefined {
  return policy.rejectedWaitsMs[n - 1];
}

/** Delay until the next renewal, from the time left: works for 30-minute and 3-second tokens alike. */
export function renewDelay(policy: RetryPolicy, remainingMs: number, random: Random): number {
  return Math.max(0, Math.round(remainingMs * policy.refreshFraction * (1 - policy.jitter * random())));
}
