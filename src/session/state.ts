// Owns the session's mutable facts, shared by the state machine (manager.ts) and the flows it runs
// (login-refresh.ts, resume.ts), and the one rule for whether the held cookie may be sent now.

import type { CookieExpiry, IssuedCookie } from "./cookie.js";
import { expiryOf } from "./cookie.js";
import type { SessionCounters, SessionOp, SessionPhase, SessionSnapshot } from "./events.js";

/** The cookie held, with its expiries (ms since the epoch) and when we took it. */
export interface Held extends CookieExpiry {
  value: string;
  issuedAt: number;
}

export interface SessionState {
  phase: SessionPhase;
  held: Held | undefined;
  /** Start of the current session as far as we know: the login, or the take-over of a cookie (ms). */
  loginAt: number | undefined;
  /** The last login this process made itself (POST /authenticate/). */
  lastLogin: number | undefined;
  resumedAt: number | undefined;
  lastRefreshAt: number | undefined;
  /** What the flight is doing now: a refresh that fails over into a login becomes "login". */
  flightOp: SessionOp | undefined;
  failures: number;
  rejections: number;
  lastError: SessionSnapshot["lastError"];
  /** The password source's fingerprint when logins were blocked; a different one unblocks them. */
  blockedFingerprint: string | undefined;
  /** The fingerprint taken before the password of the login attempt in flight was read. */
  attemptFingerprint: string | undefined;
  readonly counters: SessionCounters;
}

export function newSessionState(): SessionState {
  return {
    phase: "idle",
    held: undefined,
    loginAt: undefined,
    lastLogin: undefined,
    resumedAt: undefined,
    lastRefreshAt: undefined,
    flightOp: undefined,
    failures: 0,
    rejections: 0,
    lastError: undefined,
    blockedFingerprint: undefined,
    attemptFingerprint: undefined,
    counters: { logins: 0, refreshes: 0, adopted: 0, loginFailures: 0, refreshFailures: 0, unauthorized: 0 },
  };
}

/** The held cookie if it may be sent at `now` (ms), else undefined: the hot path, no allocation. */
export function usableCookie(s: SessionState, now: number): string | undefined {
  const h = s.held;
  if (h === undefined || now >= h.tokenExpiresAt - skew(h)) return undefined;
  return h.value;
}

/** Treat a token as expired a little early: min(5 s, 10 % of its lifetime), in ms. */
export function skew(h: Held): number {
  return Math.min(5_000, Math.max(0, (h.tokenExpiresAt - h.issuedAt) * 0.1));
}

/** Holds `issued` from `now` (ms), its expiries measured from receipt (cookie.ts's expiryOf). */
export function hold(s: SessionState, issued: IssuedCookie, now: number): void {
  const start = s.loginAt ?? now;
  let expiry = expiryOf(issued, now, start);
  // A token just issued cannot already be over: its claims are on a clock that disagrees with ours.
  // Judge it by Max-Age instead, or it would never be usable and every schedule would fire at once.
  if (expiry.tokenExpiresAt <= now) expiry = expiryOf({ value: "", maxAgeSeconds: issued.maxAgeSeconds }, now, start);
  s.held = { value: issued.value, issuedAt: now, ...expiry };
}
