// Owns the HTTP surface: the control endpoints under the reserved /-/ prefix, and every other
// path handed to the forwarder on the raw Node request. Building the app never listens.

import { Hono } from "hono";
import type { HttpBindings } from "@hono/node-server";
import { RESPONSE_ALREADY_SENT } from "@hono/node-server/utils/response";
import type { Forward } from "../proxy/forwarder.js";
import type { SessionSnapshot } from "../session/events.js";
import type { Registry } from "prom-client";
import { statusJson, type ProxyFacts } from "./status.js";
import type { Clock } from "../clock.js";

export interface AppOptions {
  forward: Forward;
  snapshot(): SessionSnapshot;
  facts(): ProxyFacts;
  registry: Registry;
  clock: Clock;
  /** Runs before forwarding and before control endpoints; returns a response to refuse. */
  guard?(c: { env: HttpBindings }): Response | undefined;
  /** The API's own session endpoints, answered locally (session-endpoints.ts); undefined: not one of them. */
  sessionEndpoint?(c: { env: HttpBindings }): Promise<Response> | undefined;
}

export type App = Hono<{ Bindings: HttpBindings }>;

export function createApp(opts: AppOptions): App {
  const app: App = new Hono<{ Bindings: HttpBindings }>();
  const noStore = { "cache-control": "no-store" };

  const forward = async (c: { env: HttpBindings }) => {
    await opts.forward(c.env.incoming, c.env.outgoing);
    return RESPONSE_ALREADY_SENT;
  };
  const guard = opts.guard;
  // Decided on the raw request target, not hono's normalised path: `/x/../-/status` is an API
  // path to forward byte for byte, and only a target that starts with /-/ is ours.
  app.use("*", (c, next) => {
    const refused = guard?.(c);
    if (refused) return Promise.resolve(refused);
    if (!c.env.incoming.url?.startsWith("/-/")) return opts.sessionEndpoint?.(c) ?? forward(c);
    return next();
  });

  app.get("/-/healthz", (c) => c.json({ status: "ok" }, 200, noStore));

  app.get("/-/readyz", (c) => {
    const s = opts.snapshot();
    if (opts.facts().draining) {
      return c.json({ message: "the proxy is shutting down", code: "SHUTTING_DOWN", state: "draining" }, 503, noStore);
    }
    if (!s.ready) return c.json({ message: s.reason ?? "no session", code: "NOT_READY", state: s.state }, 503, noStore);
    return c.json({ status: "ready", tokenExpiresAt: new Date(s.tokenExpiresAt!).toISOString() }, 200, noStore);
  });

  app.get("/-/status", (c) => c.json(statusJson(opts.snapshot(), opts.facts(), opts.clock.now()), 200, noStore));

  app.get("/-/metrics", async (c) => {
    const body = await opts.registry.metrics();
    return c.body(body, 200, { "content-type": opts.registry.contentType, ...noStore });
  });

  // Any other /-/ target is ours too, including one hono normalised away from the routes above (/-/../x).
  app.all("*", (c) => {
    const target = (c.env.incoming.url ?? "").split("?")[0];
    return c.json(
      {
        message: `${c.req.method} ${target} is not a control endpoint; /-/ is reserved for /-/healthz, /-/readyz, /-/status and /-/metrics`,
        code: "BAD_REQUEST",
      },
      404,
      noStore,
    );
  });

  app.onError((err, c) => c.json({ message: `internal error: ${err.message}`, code: "API_ERROR" }, 500, noStore));

  return app;
}
