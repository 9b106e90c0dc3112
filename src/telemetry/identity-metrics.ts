// Owns the counts of client identity mode: identities held, logins by outcome, evictions by cause,
// as Prometheus series and as the numbers /-/status shows. Counts only: never a user name.

import { Counter, Gauge, type Registry } from "prom-client";
import {
  EVICTION_CAUSES,
  LOGIN_OUTCOMES,
  type EvictionCause,
  type IdentityRegistry,
  type IdentitySession,
  type LoginOutcome,
} from "../session/registry.js";

/** What /-/status shows in client mode; the same numbers as the metrics. */
export interface IdentityCounts {
  /** Identities (sessions) held now. */
  held: number;
  /** --max-identities. */
  max: number;
  /** --identity-idle-timeout, in seconds. */
  idleTimeoutSeconds: number;
  logins: Record<LoginOutcome, number>;
  evictions: Record<EvictionCause, number>;
}

/**
 * Registers `opc_auth_proxy_identities` (gauge), `opc_auth_proxy_identity_logins_total{outcome}`
 * and `opc_auth_proxy_identity_evictions_total{cause}` on `registry`, fed by `source`'s events.
 * Every label value is present from the start at 0, so a dashboard's rate() sees the first one.
 * @returns the counts for /-/status, read afresh at each call.
 */
export function identityMetrics<S extends IdentitySession>(
  source: IdentityRegistry<S>,
  registry: Registry,
  limits: { maxIdentities: number; idleTimeoutMs: number },
): () => IdentityCounts {
  const logins = Object.fromEntries(LOGIN_OUTCOMES.map((o) => [o, 0])) as Record<LoginOutcome, number>;
  const evictions = Object.fromEntries(EVICTION_CAUSES.map((c) => [c, 0])) as Record<EvictionCause, number>;
  new Gauge({
    name: "opc_auth_proxy_identities",
    help: "Client identities (managed sessions) held now, in client identity mode.",
    registers: [registry],
    collect() {
      this.set(source.size);
    },
  });
  const loginCounter = new Counter({
    name: "opc_auth_proxy_identity_logins_total",
    help: "Clients' logins in client identity mode, by outcome (ok, rejected by the API, refused by the proxy, failed).",
    labelNames: ["outcome"] as const,
    registers: [registry],
  });
  const evictionCounter = new Counter({
    name: "opc_auth_proxy_identity_evictions_total",
    help: "Client identities dropped, by cause (size, idle, session-end, rejected, failed, shutdown).",
    labelNames: ["cause"] as const,
    registers: [registry],
  });
  for (const outcome of LOGIN_OUTCOMES) loginCounter.inc({ outcome }, 0);
  for (const cause of EVICTION_CAUSES) evictionCounter.inc({ cause }, 0);
  source.on("login", (e) => {
    logins[e.outcome]++;
    loginCounter.inc({ outcome: e.outcome });
  });
  source.on("evict", (e) => {
    evictions[e.cause]++;
    evictionCounter.inc({ cause: e.cause });
  });
  return () => ({
    held: source.size,
    max: limits.maxIdentities,
    idleTimeoutSeconds: Math.round(limits.idleTimeoutMs / 1000),
    logins: { ...logins },
    evictions: { ...evictions },
  });
}
