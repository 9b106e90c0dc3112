// Owns wiring one proxy together from its parts: upstream, session, forwarder, telemetry, app and
// listener. `serve` calls it with the real clock; end-to-end tests call it with a fake one.

import { systemClock, systemRandom, type Clock, type Random } from "./clock.js";
import type { Config } from "./config/serve.js";
import type { Credentials } from "./session/credentials.js";
import { ProxyError } from "./errors.js";
import { createApp } from "./http/app.js";
import { createGuard } from "./http/guards.js";
import { createSessionEndpoints } from "./http/session-endpoints.js";
import { limitsFor, listen, type Listening, type ServerLimits } from "./http/server.js";
import type { Logger } from "./log.js";
import { createForwarder } from "./proxy/forwarder.js";
import { createAuthClient } from "./session/api-auth.js";
import type { RetryPolicy } from "./session/backoff.js";
import { SessionManager } from "./session/manager.js";
import { operatorGate } from "./session/operator-gate.js";
import { fileLoginGuard, stateFileBeside } from "./session/login-guard.js";
import { shareCookie } from "./session/shared-cookie.js";
import { createMetrics } from "./telemetry/metrics.js";
import { logSessionEvents } from "./telemetry/session-log.js";
import { routeLogLine } from "./upstream/proxy-env.js";
import { createUpstream, type Upstream } from "./upstream/upstream.js";
import { VERSION } from "./version.js";

export type ProxySettings = Pick<
  Config,
  | "listen"
  | "listenText"
  | "maxReplayBytes"
  | "upstreamTimeoutMs"
  | "allowHosts"
  | "allowOrigins"
  | "ca"
  | "insecureSkipTlsVerify"
  | "cookieFile"
> & {
  api: URL;
  /** --state-file; undefined: beside the cookie file, or in memory only when there is none. */
  stateFile?: string;
};

export interface AssembleDeps {
  credentials: Credentials;
  log: Logger;
  clock?: Clock;
  random?: Random;
  policy?: Partial<RetryPolicy>;
  /** Process-wide metrics (CPU, memory); off in tests that run many proxies in one process. */
  processMetrics?: boolean;
  /** Listener limits over the defaults (tests shorten the head timeout). */
  serverLimits?: Partial<ServerLimits>;
  /** The process environment (OPC_COOKIE may hand over a session at start; HTTPS_PROXY, HTTP_PROXY and NO_PROXY route to the API); undefined: none is read. */
  env?: NodeJS.ProcessEnv;
}

export interface RunningProxy {
  url: string;
  session: SessionManager;
  upstream: Upstream;
  listening: Listening;
  /** Readiness turns 503, requests in flight finish (up to `graceMs`), then everything closes. */
  shutdown(graceMs: number): Promise<void>;
}

export async function assemble(settings: ProxySettings, deps: AssembleDeps): Promise<RunningProxy> {
  const clock = deps.clock ?? systemClock;
  const { log } = deps;
  const upstream = createUpstream({
    api: settings.api,
    ca: settings.ca,
    insecureSkipTlsVerify: settings.insecureSkipTlsVerify,
    // HTTPS_PROXY / HTTP_PROXY / NO_PROXY; with no env (the built-in simulator) the API is direct.
    env: deps.env,
  });
  const route = routeLogLine(upstream.route);
  if (route) log.info(...route);
  const session = new SessionManager({
    auth: createAuthClient(upstream, Math.min(settings.upstreamTimeoutMs, 30_000)),
    credentials: deps.credentials,
    clock,
    random: deps.random ?? systemRandom,
    policy: deps.policy,
    loginGuard: loginGuardFor(settings, log),
  });
  logSessionEvents(session, log.child({ component: "session" }));
  // Before anything can ask for a cookie: a still-valid one from a previous run saves a login.
  await shareCookie({
    session,
    api: settings.api,
    cookieFile: settings.cookieFile,
    env: deps.env,
    clock,
    log: log.child({ component: "session" }),
  });
  const metrics = createMetrics(session, { processMetrics: deps.processMetrics });
  const requestLog = log.child({ component: "proxy" });
  const forward = createForwarder({
    upstream,
    sessionFor: () => session,
    maxReplayBytes: settings.maxReplayBytes,
    upstreamTimeoutMs: settings.upstreamTimeoutMs,
    insecureSkipTlsVerify: settings.insecureSkipTlsVerify,
    onExchange: (r) => {
      metrics.observeExchange(r);
      requestLog.info({ event: "request", ...r }, `${r.method} ${r.path} ${r.status}`);
    },
  });
  let draining = false;
  const startedAt = clock.now();
  const app = createApp({
    forward,
    snapshot: () => session.snapshot(),
    facts: () => ({
      version: VERSION,
      api: upstream.origin + upstream.basePath,
      listen: settings.listenText,
      startedAt,
      draining,
    }),
    registry: metrics.registry,
    clock,
    guard: createGuard(settings),
    // Clients that log in themselves get a placeholder; only the operator's credentials pass.
    sessionEndpoint: createSessionEndpoints({
      gate: operatorGate(session, deps.credentials, clock),
      log: requestLog,
      registry: metrics.registry,
    }),
  });
  const listening = await listen(app, settings.listen, limitsFor(settings.upstreamTimeoutMs, deps.serverLimits));
  return {
    url: listening.url,
    session,
    upstream,
    listening,
    async shutdown(graceMs) {
      draining = true;
      await listening.drain(graceMs, () => {
        const cut = forward.cutAll(
          new ProxyError(
            "SHUTTING_DOWN",
            `the proxy shut down before the API answered (--drain-timeout ${graceMs} ms)`,
            503,
          ),
        );
        if (cut > 0)
          log.warn({ event: "drain_cut", requests: cut }, `drain timeout: ${cut} request(s) still in flight were cut`);
      });
      session.stop();
      upstream.close();
    },
  };
}

/** The wrong-password guard's state file: --state-file, else beside the cookie file, else none. */
function loginGuardFor(settings: ProxySettings, log: Logger) {
  const path = settings.stateFile ?? (settings.cookieFile ? stateFileBeside(settings.cookieFile) : undefined);
  if (path === undefined) return undefined;
  return fileLoginGuard(path, (message) => log.warn({ event: "state_file_failed", path }, message));
}
