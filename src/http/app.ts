// Owns the HTTP surface: the control endpoints under the reserved /-/ prefix, and every other
// path handed to the forwarder on the raw Node request. Building the app never listens.

import type { IncomingMessage, ServerResponse } from "node:http";
import { Hono, type Context } from "hono";
import type { HttpBindings } from "@hono/node-server";
import { RESPONSE_ALREADY_SENT } from "@hono/node-server/utils/response";
import type { Forward } from "../proxy/forwarder.js";
import type { SessionSnapshot } from "../session/events.js";
import type { Registry } from "prom-client";
import { maskSecrets } from "../secrets.js";
import { clientStatusJson, statusJson, type ProxyFacts } from "./status.js";
import type { IdentityCounts } from "../telemetry/identity-metrics.js";
import type { Clock } from "../clock.js";
import { mountStatusPage, type StatusPageOptions } from "./status-page.js";
import { silentLogger, type Logger } from "../log.js";
import { createOnError } from "./on-error.js";
import { requestIdOf } from "./request-id.js";
import { maybeSessionEndpoint } from "./session-endpoints.js";

/** What the control endpoints read; the proxy's app and the admin app (src/http/admin.ts) share it. */
export interface ControlOptions {
  /** The operator's one session (operator identity mode); one of `snapshot` and `identities` is given. */
  snapshot?(): SessionSnapshot;
  /**
   * Client identity mode: readiness needs no session (the proxy is ready while it serves) and
   * /-/status shows these counts instead of one session, never a user name.
   */
  identities?(): IdentityCounts;
  facts(): ProxyFacts;
  registry: Registry;
  clock: Clock;
  /** Where errors that escape every handler are logged (once, with a request id); default: nowhere. */
  log?: Logger;
  /** Serves the status page (GET /-/, /-/events, /-/assets/...) when given. */
  statusPage?: StatusPageOptions;
}

export interface AppOptions extends ControlOptions {
  forward: Forward;
  /** Runs before forwarding and before control endpoints; returns a response to refuse. */
  guard?(c: { env: HttpBindings }): Response | undefined;
  /** The API's own session endpoints, answered locally (session-endpoints.ts); undefined: not one of them. */
  sessionEndpoint?(c: { env: HttpBindings }): Promise<Response> | undefined;
  /** Client identity mode (identify.ts): attaches the request's session, or answers (401) instead of forwarding. */
  identify?(c: { env: HttpBindings }): Promise<Response | undefined>;
}

export type App = Hono<{ Bindings: HttpBindings }>;

/**
 * A request the listener may hand to the forwarder without the app: returns true when it took the
 * request (a forwarded path the guard lets through), false to leave it to the app (/-/ targets,
 * session endpoints, refusals, which the app answers with the same guard).
 */
export type DirectRoute = (req: IncomingMessage, res: ServerResponse) => boolean;

const directRoutes = new WeakMap<App, DirectRoute>();

/** The fast path createApp registered for `app`, if any (the admin app has none). */
export function directRouteOf(app: App): DirectRoute | undefined {
  return directRoutes.get(app);
}

export function createApp(opts: AppOptions): App {
  const app: App = new Hono<{ Bindings: HttpBindings }>();

  const forward = async function forward(c: { env: HttpBindings }) {
    await opts.forward(c.env.incoming, c.env.outgoing);
    return RESPONSE_ALREADY_SENT;
  };
  const identify = opts.identify;
  const identifyThenForward = identify
    ? async function identifyThenForward(c: { env: HttpBindings }) {
        return (await identify(c)) ?? forward(c);
      }
    : forward;
  const guard = opts.guard;
  // Decided on the raw request target, not hono's normalised path: `/x/../-/status` is an API
  // path to forward byte for byte, and only a target that starts with /-/ is ours.
  app.use("*", function guardThenForward(c, next) {
    const refused = guard?.(c);
    if (refused) return Promise.resolve(refused);
    if (!c.env.incoming.url?.startsWith("/-/")) return opts.sessionEndpoint?.(c) ?? identifyThenForward(c);
    return next();
  });
  // Speed over one code path (issue 12): hono's dispatch (Request, Context, middleware chain) cost
  // more than the forwarding itself, so forwarded requests skip it. Same guard, same forwarder.
  // Client identity mode resolves each request's identity first: it keeps the app's path.
  if (!identify)
    directRoutes.set(app, function direct(req, res) {
      const url = req.url;
      // Only a plain origin-form target with a Host (what hono takes as it is); absolute-form, a
      // backslash, a missing Host and /-/ take the app's path and its checks.
      if (url === undefined || url.charCodeAt(0) !== 47 || url.startsWith("/-/")) return false;
      if (url.includes("\\") || req.headers.host === undefined) return false;
      // Any spelling that might name a session endpoint (session-path.ts) is the app's to judge.
      if (opts.sessionEndpoint && maybeSessionEndpoint(url)) return false;
      if (guard?.({ env: { incoming: req, outgoing: res } })) return false;
      opts.forward(req, res).catch(() => undefined);
      return true;
    });
  return mountControlRoutes(app, opts);
}

/**
 * Adds the /-/ endpoints, the 404 for any other /-/ target and the error handler to `app`: the one
 * list both listeners serve, so a control endpoint added here appears on both. Returns `app`.
 */
export function mountControlRoutes(app: App, opts: ControlOptions): App {
  const noStore = { "cache-control": "no-store" };
  // Error bodies carry the request id (src/http/request-id.ts) beside the stable code.
  const problem = (c: Context<{ Bindings: HttpBindings }>) => ({ requestId: requestIdOf(c.env.incoming) });

  app.get("/-/healthz", (c) => c.json({ status: "ok" }, 200, noStore));

  app.get("/-/readyz", function readyz(c) {
    if (opts.facts().draining) {
      return c.json(
        { message: "the proxy is shutting down", code: "SHUTTING_DOWN", state: "draining", ...problem(c) },
        503,
        noStore,
      );
    }
    if (opts.identities || !opts.snapshot) {
      return c.json({ status: "ready", identityMode: "client", identities: opts.identities?.().held }, 200, noStore);
    }
    const s = opts.snapshot();
    if (!s.ready) {
      return c.json(
        { message: maskSecrets(s.reason ?? "no session"), code: "NOT_READY", state: s.state, ...problem(c) },
        503,
        noStore,
      );
    }
    return c.json({ status: "ready", tokenExpiresAt: new Date(s.tokenExpiresAt!).toISOString() }, 200, noStore);
  });

  app.get("/-/status", function status(c) {
    const body = opts.snapshot
      ? statusJson(opts.snapshot(), opts.facts(), opts.clock.now())
      : clientStatusJson(opts.identities!(), opts.facts());
    return c.json(body, 200, noStore);
  });

  app.get("/-/metrics", async function metrics(c) {
    const body = await opts.registry.metrics();
    return c.body(body, 200, { "content-type": opts.registry.contentType, ...noStore });
  });

  if (opts.statusPage) mountStatusPage(app, opts.statusPage);

  // Any other /-/ target is ours too, including one hono normalised away from the routes above (/-/../x).
  app.all("*", function unknownControlTarget(c) {
    const target = (c.env.incoming.url ?? "").split("?")[0];
    return c.json(
      {
        message: `${c.req.method} ${target} is not a control endpoint; /-/ is reserved for /-/healthz, /-/readyz, /-/status, /-/metrics and the status page /-/`,
        code: "BAD_REQUEST",
        ...problem(c),
      },
      404,
      noStore,
    );
  });

  app.onError(createOnError(opts.log ?? silentLogger));

  return app;
}
