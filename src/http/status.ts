// Owns the JSON of /-/status: the session snapshot with readable times, and facts about the proxy.
// Built from the snapshot only, which never holds the cookie or the password.

import { maskSecrets } from "../secrets.js";
import type { SessionSnapshot } from "../session/events.js";
import type { IdentityCounts } from "../telemetry/identity-metrics.js";

export interface ProxyFacts {
  version: string;
  api: string;
  listen: string;
  startedAt: number;
  draining: boolean;
}

/** The proxy's facts as /-/status shows them in both identity modes. */
function proxyJson(facts: ProxyFacts): Record<string, unknown> {
  return {
    version: facts.version,
    api: facts.api,
    listen: facts.listen,
    startedAt: new Date(facts.startedAt).toISOString(),
    draining: facts.draining,
  };
}

/**
 * /-/status in client identity mode: counts of identities, logins and evictions, and no `session`
 * object: each identity's session is its client's business, and no user name is shown to another.
 */
export function clientStatusJson(counts: IdentityCounts, facts: ProxyFacts): Record<string, unknown> {
  return { proxy: proxyJson(facts), identityMode: "client", identities: counts };
}

export function statusJson(s: SessionSnapshot, facts: ProxyFacts, now: number): Record<string, unknown> {
  const iso = (t: number | undefined) => (t === undefined ? null : new Date(t).toISOString());
  const inSeconds = (t: number | undefined) => (t === undefined ? null : Math.round((t - now) / 1000));
  return {
    proxy: {
      version: facts.version,
      api: facts.api,
      listen: facts.listen,
      startedAt: iso(facts.startedAt),
      draining: facts.draining,
    },
    session: {
      state: s.state,
      ready: s.ready,
      reason: s.reason === undefined ? null : maskSecrets(s.reason),
      user: s.user,
      refreshing: s.refreshing,
      tokenExpiresAt: iso(s.tokenExpiresAt),
      tokenExpiresInSeconds: inSeconds(s.tokenExpiresAt),
      sessionExpiresAt: iso(s.sessionExpiresAt),
      sessionExpiresInSeconds: inSeconds(s.sessionExpiresAt),
      expirySource: s.expirySource ?? null,
      lastLoginAt: iso(s.lastLoginAt),
      resumedAt: iso(s.resumedAt),
      lastRefreshAt: iso(s.lastRefreshAt),
      next: s.next ? { action: s.next.action, at: iso(s.next.at) } : null,
      consecutiveFailures: s.consecutiveFailures,
      lastError: s.lastError
        ? { ...s.lastError, message: maskSecrets(s.lastError.message), at: iso(s.lastError.at) }
        : null,
    },
    counters: s.counters,
  };
}
