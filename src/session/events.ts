// Owns what the session tells the outside world: typed events that logs and metrics subscribe to,
// and the status snapshot that readiness and /-/status read. Never carries the cookie or password.

export type SessionOp = "login" | "refresh";
/**
 * How a failed login or refresh is treated (classified once, in api-auth.ts and the manager):
 * - rejected: the API said no to these credentials; retrying soon would lock the account.
 * - expired: (refresh only) the token or session is over; only a new login helps.
 * - transient: network, timeout, 5xx, 429 or an unexpected answer; back off and try again.
 * - credentials: the password source itself cannot be read (PASSWORD_FILE); wait until it changes.
 */
export type FailureKind = "rejected" | "expired" | "transient" | "credentials";

export interface SessionEvents {
  login: [{ reason: string; user: string; tokenExpiresAt: number; sessionExpiresAt: number; durationMs: number }];
  refresh: [{ tokenExpiresAt: number; sessionExpiresAt: number; durationMs: number }];
  adopt: [{ tokenExpiresAt: number }];
  invalidate: [{ reason: string }];
  /** A cookie was offered (login, refresh, resume, adopt) but not taken; the reason holds no value. */
  ignored: [{ from: "login" | "refresh" | "resume" | "adopt"; reason: string }];
  /** The session reached its end and will not be renewed (renewSession false); the manager has stopped. */
  end: [{ reason: string }];
  failure: [
    { op: SessionOp; kind: FailureKind; message: string; consecutive: number; retryAt?: number; blocked: boolean },
  ];
}

export type SessionPhase = "idle" | "ready" | "logging-in" | "backoff" | "rejected" | "blocked" | "stopped";

export interface SessionCounters {
  logins: number;
  refreshes: number;
  adopted: number;
  loginFailures: number;
  refreshFailures: number;
  unauthorized: number;
}

export interface SessionSnapshot {
  /** "ready" while a usable cookie is held, else why not. */
  state: SessionPhase;
  ready: boolean;
  user: string;
  refreshing: boolean;
  tokenExpiresAt?: number;
  sessionExpiresAt?: number;
  expirySource?: "cookie" | "max-age" | "default";
  lastLoginAt?: number;
  /** When a cookie from a previous run (cookie file, OPC_COOKIE) was taken over instead of a login. */
  resumedAt?: number;
  lastRefreshAt?: number;
  next?: { action: SessionOp | "check-credentials" | "end"; at: number };
  consecutiveFailures: number;
  lastError?: { op: SessionOp; kind: FailureKind; message: string; at: number };
  /** A sentence for humans: why there is no session and what to do. */
  reason?: string;
  counters: SessionCounters;
}
