// Owns the admin listener's app: the proxy's control endpoints (probes, metrics, status) for the
// pod IP, behind a guard made for probes and scrapers, and nothing that forwards.

import { Hono } from "hono";
import type { HttpBindings } from "@hono/node-server";
import type { ListenAddress } from "../net/addresses.js";
import { mountControlRoutes, type App, type ControlOptions } from "./app.js";
import { createGuard } from "./guards.js";
import { requestIdOf } from "./request-id.js";

export interface AdminAppOptions extends ControlOptions {
  /** Where the admin listener listens (`--admin-listen`); its host is an accepted Host name. */
  listen: ListenAddress;
  /** `--allow-host` names (a compose service name a scraper uses), as on the proxy's listener. */
  allowHosts: readonly string[];
  /** `--allow-origin`: the only browser origins admitted, as on the proxy's listener. */
  allowOrigins: readonly string[];
}

/**
 * Builds the admin app: the same control routes as the proxy's app (mountControlRoutes), so every
 * /-/ endpoint exists on both; any other target is 404 and is never forwarded. Host may be any IP
 * address besides the proxy's accepted names (probes and scrapers name the pod IP); browser
 * cross-site requests (a foreign Origin, Sec-Fetch-Site cross-site or same-site, CORS preflight)
 * are refused with 403 FORBIDDEN_ORIGIN exactly as on the proxy's listener. Building never listens.
 *
 * @example
 * const admin = await listen(createAdminApp({ snapshot, facts, registry, clock, listen, allowHosts: [], allowOrigins: [] }), listen);
 */
export function createAdminApp(opts: AdminAppOptions): App {
  const app: App = new Hono<{ Bindings: HttpBindings }>();
  const guard = createGuard({
    allowHosts: opts.allowHosts,
    allowOrigins: opts.allowOrigins,
    listen: opts.listen,
    anyIpHost: true,
  });
  // On the raw target, as in the proxy's app: only a target starting with /-/ reaches a route.
  app.use("*", (c, next) => {
    const refused = guard(c);
    if (refused) return Promise.resolve(refused);
    if (!c.env.incoming.url?.startsWith("/-/")) return Promise.resolve(notForwarded(c.env));
    return next();
  });
  return mountControlRoutes(app, opts);
}

function notForwarded(env: HttpBindings): Response {
  const target = (env.incoming.url ?? "").split("?")[0]!;
  const body = {
    message: `${env.incoming.method} ${target.slice(0, 100)} is not served here: the admin listener (--admin-listen) answers only /-/healthz, /-/readyz, /-/metrics, /-/status and the status page (/-/, /-/events, /-/assets/*) and never forwards; send API requests to the proxy's --listen address`,
    code: "BAD_REQUEST",
    requestId: requestIdOf(env.incoming),
  };
  return new Response(JSON.stringify(body), {
    status: 404,
    headers: { "content-type": "application/json", "cache-control": "no-store", "x-content-type-options": "nosniff" },
  });
}
