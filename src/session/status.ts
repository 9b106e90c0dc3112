// Owns how the session describes itself: the secret-free snapshot that readiness, /-/status and
// metrics read, and the sentence that says why there is no session and what to fix.

import type { RenewalAction } from "./renewal-timer.js";
import type { SessionCounters, SessionOp, SessionPhase, SessionSnapshot } from "./events.js";
import type { CookieExpiry } from "./cookie.js";
import type { SessionState } from "./state.js";

/** A read-only view of the manager's state; never the cookie value itself. */
export interface SessionView {
  user: string;
  phase: SessionPhase;
  /** A usable cookie is held right now. */
  ready: boolean;
  held: CookieExpiry | undefined;
  flightOp: SessionOp | undefined;
  failures: number;
  rejections: number;
  counters: SessionCounters;
  lastLoginAt: number | undefined;
  resumedAt: number | undefined;
  lastRefreshAt: number | undefined;
  next: { action: RenewalAction; at: number } | undefined;
  lastError: SessionSnapshot["lastError"];
  /** Where the password comes from, for the fix in the reason ("the password file /run/…"). */
  credentialsSource: string;
  now: number;
}

export function snapshotOf(v: SessionView): SessionSnapshot {
  const snap: SessionSnapshot = {
    state: v.ready ? "ready" : v.phase === "ready" ? "logging-in" : v.phase,
    ready: v.ready,
    user: v.user,
    refreshing: v.flightOp === "refresh",
    consecutiveFailures: v.failures,
    counters: { ...v.counters },
  };
  if (v.held) {
    snap.tokenExpiresAt = v.held.tokenExpiresAt;
    snap.sessionExpiresAt = v.held.sessionExpiresAt;
    snap.expirySource = v.held.source;
  }
  if (v.lastLoginAt !== undefined) snap.lastLoginAt = v.lastLoginAt;
  if (v.resumedAt !== undefined) snap.resumedAt = v.resumedAt;
  if (v.lastRefreshAt !== undefined) snap.lastRefreshAt = v.lastRefreshAt;
  if (v.next) snap.next = { ...v.next };
  if (v.lastError) snap.lastError = { ...v.lastError };
  if (!v.ready) snap.reason = reasonOf(v);
  return snap;
}

/** Why there is no usable session, in words that name what to fix and when the next try is. */
export function reasonOf(v: SessionView): string {
  const src = v.credentialsSource;
  const err = v.lastError;
  switch (v.phase) {
    case "idle":
      return "the proxy has not logged in yet";
    case "stopped":
      return "the proxy is shutting down";
    case "blocked":
      return err?.kind === "credentials"
        ? `${err.message}; the proxy retries when it changes`
        : `${err?.message ?? "login rejected"}; stopped after ${v.rejections} rejected logins to avoid locking the account: fix ${src} (it is re-read when it changes)`;
    case "rejected":
      return `${err?.message ?? "login rejected"}; check ${src}; next try ${retryIn(v)}`;
    case "backoff":
      return `${err?.message ?? "login failed"}; next try ${retryIn(v)}`;
    default:
      return "logging in";
  }
}

function retryIn(v: SessionView): string {
  if (!v.next) return "soon";
  return `in ${Math.max(0, Math.ceil((v.next.at - v.now) / 1000))} s`;
}

/**
 * The read-only view of the session that snapshotOf and reasonOf read.
 * @param now ms since the epoch; `next` is the pending renewal, if any.
 */
export function viewOf(
  s: SessionState,
  user: string,
  ready: boolean,
  next: SessionView["next"],
  credentialsSource: string,
  now: number,
): SessionView {
  return {
    user,
    phase: s.phase,
    ready,
    held: s.held,
    flightOp: s.flightOp,
    failures: s.failures,
    rejections: s.rejections,
    counters: s.counters,
    lastLoginAt: s.lastLogin,
    resumedAt: s.resumedAt,
    lastRefreshAt: s.lastRefreshAt,
    next,
    lastError: s.lastError,
    credentialsSource,
    now,
  };
}
