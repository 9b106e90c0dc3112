// Owns wiring the proxy of client identity mode: no session of its own, a registry holding one
// managed session per client identity, the gate that answers clients' own logins with handles,
// and the step that resolves each request's identity before forwarding (assemble.ts does the rest).

import { LoginThrottle } from "./session/login-throttle.js";
import { systemClock, systemRandom, type Clock } from "./clock.js";
import { ProxyError } from "./errors.js";
import { createIdentify } from "./http/identify.js";
import { sessionOf } from "./http/request-session.js";
import { DEFAULT_IDENTITY_IDLE_TIMEOUT_MS, DEFAULT_MAX_IDENTITIES } from "./config/identity.js";
import { openUpstream, wire, type AssembleDeps, type ProxySettings, type RunningProxy } from "./assemble.js";
import { createAuthClient, type AuthClient } from "./session/api-auth.js";
import { DEFAULT_RETRY_POLICY } from "./session/backoff.js";
import { clientGate } from "./session/client-gate.js";
import { staticCredentials } from "./session/credentials.js";
import { createIdentityKeys, type RandomBytes } from "./session/identity.js";
import { SessionManager } from "./session/manager.js";
import { IdentityRegistry } from "./session/registry.js";
import { SessionHistory } from "./telemetry/history.js";
import { identityMetrics } from "./telemetry/identity-metrics.js";
import { createMetrics, type Metrics } from "./telemetry/metrics.js";
import { logSessionEvents } from "./telemetry/session-log.js";

/** The least time the proxy itself refuses a password the API rejected, in ms. */
const MIN_REJECTED_HOLD_MS = 60_000;

export interface ClientModeDeps extends Omit<AssembleDeps, "credentials"> {
  /** Randomness of identity keys and handles (node:crypto by default). */
  randomBytes?: RandomBytes;
}

export interface RunningClientProxy extends Omit<RunningProxy, "session"> {
  /** The sessions of the client identities held now. */
  identities: IdentityRegistry<SessionManager>;
}

export interface ClientRegistryOptions extends Pick<ClientModeDeps, "log" | "random" | "policy" | "randomBytes"> {
  auth: AuthClient;
  clock: Clock;
  maxIdentities: number;
  idleTimeoutMs: number;
  metrics: Metrics;
  history: SessionHistory;
}

/**
 * The registry of client mode with everything each identity's session is wired to: its log lines
 * (a child logger naming its user), the status page's history and the session metrics. Exported
 * so bench/identities.ts measures exactly what the proxy holds per identity.
 */
export function clientRegistry(opts: ClientRegistryOptions): IdentityRegistry<SessionManager> {
  const policy = { ...DEFAULT_RETRY_POLICY, ...opts.policy };
  const registry = new IdentityRegistry<SessionManager>({
    maxIdentities: opts.maxIdentities,
    idleTimeoutMs: opts.idleTimeoutMs,
    // As long as the session's own backoff would wait after rejections, and at least a minute.
    rejectedHoldMs: Math.max(
      MIN_REJECTED_HOLD_MS,
      policy.rejectedWaitsMs.reduce((a, b) => a + b, 0),
    ),
    clock: opts.clock,
    // Guesses of a user's password, by SDK login or Basic, back off per user name (login-throttle.ts).
    throttle: new LoginThrottle({ clock: opts.clock }),
    keys: createIdentityKeys(opts.randomBytes),
    create: (user, password) =>
      new SessionManager({
        auth: opts.auth,
        // Held by this session only, for its own login and a 401 re-login within its life.
        credentials: staticCredentials(user, password, `the password ${user} logged in with`),
        clock: opts.clock,
        random: opts.random ?? systemRandom,
        policy: opts.policy,
        renewSession: false,
      }),
  });
  const sessionLog = opts.log.child({ component: "session" });
  const identityLog = opts.log.child({ component: "identities" });
  registry.on("created", ({ user, session }) => {
    logSessionEvents(session, sessionLog.child({ user }));
    opts.history.subscribe(session);
    opts.metrics.observeSession(session);
  });
  registry.on("login", (e) => {
    if (e.outcome === "ok") identityLog.info({ event: "identity_added", user: e.user }, "a client identity logged in");
  });
  registry.on("evict", (e) =>
    identityLog.info({ event: "identity_evicted", user: e.user, cause: e.cause }, `identity dropped (${e.cause})`),
  );
  return registry;
}

/**
 * The proxy of `--identity-mode client`: each client brings its own credentials (its own POST
 * /authenticate/, answered with an opaque handle, or HTTP Basic on each request) and gets its own
 * managed session, which never logs in again past its session end. No cookie file, no state file:
 * a restart forgets every identity and handle. Listens when it resolves.
 * @throws ProxyError LISTEN_FAILED (after closing whatever it had opened).
 */
export async function assembleClientMode(settings: ProxySettings, deps: ClientModeDeps): Promise<RunningClientProxy> {
  const clock = deps.clock ?? systemClock;
  const { log } = deps;
  const upstream = openUpstream(settings, deps);
  const auth = createAuthClient(upstream, Math.min(settings.upstreamTimeoutMs, 30_000));
  const maxIdentities = settings.maxIdentities ?? DEFAULT_MAX_IDENTITIES;
  const idleTimeoutMs = settings.identityIdleTimeoutMs ?? DEFAULT_IDENTITY_IDLE_TIMEOUT_MS;
  const metrics = createMetrics(undefined, { processMetrics: deps.processMetrics });
  const history = new SessionHistory({ clock });
  const registry = clientRegistry({ ...deps, auth, clock, maxIdentities, idleTimeoutMs, metrics, history });
  try {
    const identityLog = log.child({ component: "identities" });
    const counts = identityMetrics(registry, metrics.registry, { maxIdentities, idleTimeoutMs });
    const running = await wire(settings, deps, upstream, {
      sessionFor(req) {
        const session = sessionOf(req);
        // identify() attaches one before anything is forwarded; reaching here without is a bug.
        if (!session) throw new ProxyError("INTERNAL", "a request reached the forwarder without an identity");
        return session;
      },
      gate: clientGate(registry, clock),
      identify: createIdentify({ registry, log: identityLog }),
      control: { identities: counts },
      metrics,
      history,
      stop: () => registry.stop(),
    });
    return { ...running, identities: registry };
  } catch (err) {
    registry.stop();
    upstream.close();
    throw err;
  }
}
