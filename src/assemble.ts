// Owns wiring one proxy together from its parts: upstream, session, forwarder, telemetry, app and
// listener. `serve` calls it with the real clock; end-to-end tests call it with a fake one.

import { systemClock, systemRandom, type Clock, type Random } from "./clock.js";
import type { Config } from "./config/serve.js";
import type { Credentials } from "./session/credentials.js";
import { ProxyError } from "./errors.js";
import { createApp, type AppOptions, type ControlOptions } from "./http/app.js";
import { createGuard } from "./http/guards.js";
import { createSessionEndpoints } from "./http/session-endpoints.js";
import { limitsFor, listen, type Listening, type ServerLimits } from "./http/server.js";
import type { ListenAddress } from "./net/addresses.js";
import type { Logger } from "./log.js";
import type { IncomingMessage } from "node:http";
import { createForwarder } from "./proxy/forwarder.js";
import type { SessionHandle } from "./proxy/exchange.js";
import type { SessionGate } from "./session/operator-gate.js";
import type { Metrics } from "./telemetry/metrics.js";
import { UriRewriting } from "./proxy/uri-rewriting.js";
import { createAuthClient } from "./session/api-auth.js";
import type { RetryPolicy } from "./session/backoff.js";
import { SessionManager } from "./session/manager.js";
import { operatorGate } from "./session/operator-gate.js";
import { fileLoginGuard, stateFileBeside } from "./session/login-guard.js";
import { shareCookie } from "./session/shared-cookie.js";
import { createMetrics } from "./telemetry/metrics.js";
import { logSessionEvents } from "./telemetry/session-log.js";
import { requestLogger } from "./telemetry/request-log.js";
import { SessionHistory } from "./telemetry/history.js";
import { routeLogLine } from "./upstream/proxy-env.js";
import { createUpstream, type Upstream } from "./upstream/upstream.js";
import { VERSION } from "./version.js";

const ADMIN_LISTENER = { flag: "--admin-listen", env: "OPC_PROXY_ADMIN_LISTEN" };

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
  /** `--admin-listen`: a second listener serving only the control endpoints (src/http/admin.ts). */
  adminListen?: ListenAddress;
  /** Rewrite absolute URIs between the API's origin and the client's (default true; --no-rewrite-uris). */
  rewriteUris?: boolean;
  /** --state-file; undefined: beside the cookie file, or in memory only when there is none. */
  stateFile?: string;
} & Partial<Pick<Config, "maxIdentities" | "identityIdleTimeoutMs">>;

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
  /** The admin listener, when `adminListen` was given. */
  admin: Listening | undefined;
  /** Readiness turns 503 while everything else keeps serving (the --shutdown-delay window). */
  unready(): void;
  /**
   * Readiness turns 503, the listener closes, requests in flight finish (up to `graceMs`) with
   * `Connection: close`, each connection closes once idle, then the admin listener and everything closes.
   */
  shutdown(graceMs: number): Promise<void>;
}

/**
 * The proxy of the default (operator) identity mode: one session, of `deps.credentials`. Listens
 * when it resolves; the session logs in at its first use or at `session.start()`.
 * @throws ProxyError LISTEN_FAILED, COOKIE_FILE (after closing whatever it had opened).
 */
export async function assemble(settings: ProxySettings, deps: AssembleDeps): Promise<RunningProxy> {
  const clock = deps.clock ?? systemClock;
  const { log } = deps;
  const upstream = openUpstream(settings, deps);
  const session = new SessionManager({
    auth: createAuthClient(upstream, Math.min(settings.upstreamTimeoutMs, 30_000)),
    credentials: deps.credentials,
    clock,
    random: deps.random ?? systemRandom,
    policy: deps.policy,
    loginGuard: loginGuardFor(settings, log),
  });
  // From here on, a failed start (a port is taken, the cookie file unreadable) closes what it
  // opened: a listener already bound, the upstream agent and any resume in flight.
  try {
    logSessionEvents(session, log.child({ component: "session" }));
    // Subscribed before shareCookie, so a resumed session is on the timeline too.
    const history = new SessionHistory({ clock }).subscribe(session);
    // Before anything can ask for a cookie: a still-valid one from a previous run saves a login.
    await shareCookie({
      session,
      api: settings.api,
      cookieFile: settings.cookieFile,
      env: deps.env,
      clock,
      log: log.child({ component: "session" }),
    });
    const running = await wire(settings, deps, upstream, {
      sessionFor: () => session,
      // Clients that log in themselves get a placeholder; only the operator's credentials pass.
      gate: operatorGate(session, deps.credentials, clock),
      control: { snapshot: () => session.snapshot() },
      metrics: createMetrics(session, { processMetrics: deps.processMetrics }),
      history,
      stop: () => session.stop(),
    });
    return { ...running, session };
  } catch (err) {
    session.stop();
    upstream.close();
    throw err;
  }
}

/** The client of the API for one proxy, with its route (direct or through HTTPS_PROXY) logged. */
export function openUpstream(settings: ProxySettings, deps: Pick<AssembleDeps, "env" | "log">): Upstream {
  const upstream = createUpstream({
    api: settings.api,
    ca: settings.ca,
    insecureSkipTlsVerify: settings.insecureSkipTlsVerify,
    // HTTPS_PROXY / HTTP_PROXY / NO_PROXY; with no env (the built-in simulator) the API is direct.
    env: deps.env,
  });
  const route = routeLogLine(upstream.route);
  if (route) deps.log.info(...route);
  return upstream;
}

/** What differs between the identity modes; wire() builds everything else the same way. */
export interface ModeParts {
  sessionFor(req: IncomingMessage): SessionHandle;
  gate: SessionGate;
  identify?: AppOptions["identify"];
  control: Pick<ControlOptions, "snapshot" | "identities">;
  metrics: Metrics;
  history: SessionHistory;
  /** Stops every session (after the drain, or when the start fails). */
  stop(): void;
}

/** Forwarder, app and listeners around the mode's sessions; on failure closes the listeners it opened. */
export async function wire(
  settings: ProxySettings,
  deps: Omit<AssembleDeps, "credentials">,
  upstream: Upstream,
  parts: ModeParts,
): Promise<Omit<RunningProxy, "session">> {
  const clock = deps.clock ?? systemClock;
  const { log } = deps;
  const { metrics, history } = parts;
  let listening: Listening | undefined;
  let admin: Listening | undefined;
  try {
    const requestLog = log.child({ component: "proxy" });
    const logRequest = requestLogger(log);
    const forward = createForwarder({
      upstream,
      sessionFor: parts.sessionFor,
      maxReplayBytes: settings.maxReplayBytes,
      upstreamTimeoutMs: settings.upstreamTimeoutMs,
      insecureSkipTlsVerify: settings.insecureSkipTlsVerify,
      uris:
        settings.rewriteUris === false ? undefined : new UriRewriting(settings.api, settings.listen.kind === "unix"),
      onExchange: (r) => {
        metrics.observeExchange(r);
        history.observeExchange(r);
        logRequest(r);
      },
    });
    let draining = false;
    const startedAt = clock.now();
    const httpLog = log.child({ component: "http" });
    const control: ControlOptions = {
      ...parts.control,
      facts: () => ({
        version: VERSION,
        api: upstream.origin + upstream.basePath,
        listen: settings.listenText,
        startedAt,
        draining,
      }),
      registry: metrics.registry,
      clock,
      log: httpLog,
      statusPage: { history: () => history.toJSON() },
    };
    const app = createApp({
      forward,
      ...control,
      guard: createGuard(settings),
      sessionEndpoint: createSessionEndpoints({ gate: parts.gate, log: requestLog, registry: metrics.registry }),
      identify: parts.identify,
    });
    const limits = limitsFor(settings.upstreamTimeoutMs, deps.serverLimits);
    listening = await listen(app, settings.listen, limits, httpLog);
    if (settings.adminListen) {
      // Loaded only with --admin-listen, like everything else one mode alone uses.
      const { createAdminApp } = await import("./http/admin.js");
      const adminApp = createAdminApp({
        ...control,
        listen: settings.adminListen,
        allowHosts: settings.allowHosts,
        allowOrigins: settings.allowOrigins,
      });
      admin = await listen(adminApp, settings.adminListen, limits, httpLog, ADMIN_LISTENER);
    }
    const main = listening;
    return {
      url: main.url,
      upstream,
      listening: main,
      admin,
      unready() {
        draining = true;
      },
      async shutdown(graceMs) {
        draining = true;
        await main.drain(graceMs, () => {
          const cut = forward.cutAll(
            new ProxyError(
              "SHUTTING_DOWN",
              `the proxy shut down before the API answered (--drain-timeout ${graceMs} ms)`,
            ),
          );
          if (cut > 0)
            log.warn(
              { event: "drain_cut", requests: cut },
              `drain timeout: ${cut} request(s) still in flight were cut`,
            );
        });
        // The admin listener closes last, so probes see readiness 503 for the whole drain.
        await admin?.drain(graceMs);
        parts.stop();
        upstream.close();
      },
    };
  } catch (err) {
    await listening?.drain(0);
    await admin?.drain(0);
    throw err;
  }
}

/** The wrong-password guard's state file: --state-file, else beside the cookie file, else none. */
function loginGuardFor(settings: ProxySettings, log: Logger) {
  const path = settings.stateFile ?? (settings.cookieFile ? stateFileBeside(settings.cookieFile) : undefined);
  if (path === undefined) return undefined;
  return fileLoginGuard(path, (message) => log.warn({ event: "state_file_failed", path }, message));
}
