// Owns the Prometheus metrics: request counts and latency from the forwarder, and the session's
// life (logins, refreshes, failures, expiry times) from its events. One registry per proxy.

import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { ExchangeRecord } from "../proxy/exchange.js";
import type { SessionManager } from "../session/manager.js";
import type { SessionEventSource } from "./history.js";

const MAX_CACHED_LABEL_SETS = 256;

export interface Metrics {
  registry: Registry;
  observeExchange(record: ExchangeRecord): void;
  /** Counts `source`'s logins, refreshes and failures (each identity's session, in client mode). */
  observeSession(source: SessionEventSource): void;
}

/**
 * One registry per proxy. With `session` (operator mode) its readiness and expiry gauges are there
 * too; in client identity mode there is no one session, and each identity's events are counted
 * through observeSession.
 */
export function createMetrics(session: SessionManager | undefined, opts: { processMetrics?: boolean } = {}): Metrics {
  const registry = new Registry();
  // No prefix: process_* and nodejs_* are the names stock Node.js dashboards and alerts expect.
  if (opts.processMetrics) collectDefaultMetrics({ register: registry });

  const requests = new Counter({
    name: "opc_auth_proxy_requests_total",
    help: "Requests forwarded to the Compute API, by method, final status and retry.",
    labelNames: ["method", "code", "retried"] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: "opc_auth_proxy_request_duration_seconds",
    help: "Time from request arrival to the end of the response.",
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  const logins = new Counter({
    name: "opc_auth_proxy_session_logins_total",
    help: "Successful logins (POST /authenticate/).",
    registers: [registry],
  });
  const refreshes = new Counter({
    name: "opc_auth_proxy_session_refreshes_total",
    help: "Successful token refreshes (GET /refresh/).",
    registers: [registry],
  });
  const failures = new Counter({
    name: "opc_auth_proxy_session_failures_total",
    help: "Failed logins and refreshes, by operation and kind (rejected, expired, transient, credentials).",
    labelNames: ["op", "kind"] as const,
    registers: [registry],
  });
  if (session) sessionGauges(session, registry);
  const observeSession = (source: SessionEventSource) => {
    source.on("login", () => logins.inc());
    source.on("refresh", () => refreshes.inc());
    source.on("failure", (e) => failures.inc({ op: e.op, kind: e.kind }));
  };
  if (session) observeSession(session);

  // Per request, prom-client would hash the label object each time; the few label sets seen
  // (methods × statuses × retry) keep their child counters here instead. Bounded: past the cap,
  // the ordinary path.
  const children = new Map<string, { inc(): void }>();
  return {
    registry,
    observeSession,
    observeExchange(r) {
      const code = r.clientAborted ? "aborted" : String(r.status);
      const retried = r.retried || "no";
      const key = `${r.method} ${code} ${retried}`;
      let child = children.get(key);
      if (child === undefined) {
        child = requests.labels(r.method, code, retried);
        if (children.size < MAX_CACHED_LABEL_SETS) children.set(key, child);
      }
      child.inc();
      duration.observe(r.durationMs / 1000);
    },
  };
}

function sessionGauges(session: SessionManager, registry: Registry): void {
  new Gauge({
    name: "opc_auth_proxy_session_ready",
    help: "1 while a usable session cookie is held.",
    registers: [registry],
    collect() {
      this.set(session.snapshot().ready ? 1 : 0);
    },
  });
  new Gauge({
    name: "opc_auth_proxy_token_expiry_timestamp_seconds",
    help: "When the current token expires (Unix seconds).",
    registers: [registry],
    collect() {
      const t = session.snapshot().tokenExpiresAt;
      if (t !== undefined) this.set(t / 1000);
    },
  });
  new Gauge({
    name: "opc_auth_proxy_session_expiry_timestamp_seconds",
    help: "When the current session ends and a new login is needed (Unix seconds).",
    registers: [registry],
    collect() {
      const t = session.snapshot().sessionExpiresAt;
      if (t !== undefined) this.set(t / 1000);
    },
  });
}
