// Owns who a forwarded request acts as in client identity mode: HTTP Basic credentials, or the
// handle a client's own login got (`Cookie: nimbula=<handle>`), resolved to that identity's session
// before forwarding. Neither the Authorization nor the Cookie header reaches the API (proxy/headers.ts).

import type { IncomingMessage } from "node:http";
import type { HttpBindings } from "@hono/node-server";
import type { Logger } from "../log.js";
import type { SessionHandle } from "../proxy/exchange.js";
import { BASIC_CHALLENGE, INVALID_TOKEN } from "../session/client-gate.js";
import { nimbulaFromCookieHeader } from "../session/cookie.js";
import { BAD_CREDENTIALS } from "../session/operator-gate.js";
import { looksLikeHandle } from "../session/identity.js";
import type { IdentityRegistry, IdentitySession } from "../session/registry.js";
import { attachSession } from "./request-session.js";
import { requestIdOf } from "./request-id.js";

/**
 * User and password of an `Authorization: Basic base64(user:password)` header (RFC 7617), split at
 * the first colon: Compute user names (`/Compute-acme/jack.jones@example.com`) hold none, passwords
 * may. Undefined for another scheme, no colon, or an empty user.
 */
export function basicCredentials(header: string | undefined): { user: string; password: string } | undefined {
  if (!header) return undefined;
  const m = /^basic[ \t]+([A-Za-z0-9+/=_-]+)[ \t]*$/i.exec(header);
  if (!m) return undefined;
  const text = Buffer.from(m[1]!, "base64").toString("utf8");
  const colon = text.indexOf(":");
  if (colon <= 0) return undefined;
  return { user: text.slice(0, colon), password: text.slice(colon + 1) };
}

/**
 * Builds the step that runs before forwarding: it attaches the request's session (request-session.ts)
 * and returns undefined, or returns the answer. Basic credentials win over a handle when both are
 * sent. Answers: 401 `{"message": "Authorization token is invalid"}` for no credentials, an unknown
 * or expired handle; 401 `{"message": "Incorrect username or password"}` for a password the API
 * rejected (once; then the proxy refuses it itself for the hold time); 503 NO_SESSION when the
 * identity's first login failed otherwise. Every 401 carries `WWW-Authenticate: Basic realm="opc-auth-proxy"`.
 */
export function createIdentify<S extends IdentitySession & SessionHandle>(opts: {
  registry: IdentityRegistry<S>;
  log: Logger;
}) {
  return async function identify(c: { env: HttpBindings }): Promise<Response | undefined> {
    const req = c.env.incoming;
    const basic = basicCredentials(req.headers.authorization);
    if (basic) {
      const r = await opts.registry.ensure(basic.user, basic.password);
      if (r.outcome === "ok") return void attachSession(req, r.session);
      if (r.outcome === "failed") return refuse(req, 503, { message: r.reason, code: "NO_SESSION" });
      if (r.outcome === "throttled") {
        const n = r.retryAfterSeconds;
        const body = { message: `too many failed logins for this user; try again in ${n} s`, code: "TOO_MANY_LOGINS" };
        return refuse(req, 429, body, { "retry-after": String(n) });
      }
      opts.log.warn(
        {
          event: "client_login_rejected",
          user: basic.user.slice(0, 200),
          by: r.outcome === "rejected" ? "api" : "proxy",
        },
        r.outcome === "rejected"
          ? "HTTP Basic credentials were rejected by the API"
          : "HTTP Basic credentials the API rejected recently were refused by the proxy; nothing was sent to the API",
      );
      return refuse(req, 401, { message: BAD_CREDENTIALS });
    }
    const handle = nimbulaFromCookieHeader(req.headers.cookie);
    const session = handle !== undefined && looksLikeHandle(handle) ? opts.registry.forHandle(handle) : undefined;
    if (!session) return refuse(req, 401, { message: INVALID_TOKEN });
    attachSession(req, session);
    return undefined;
  };
}

function refuse(
  req: IncomingMessage,
  status: 401 | 429 | 503,
  body: { message: string; code?: string },
  extra: Record<string, string> = {},
): Response {
  // The request body is not read: drop it so the connection can be reused.
  req.resume();
  const headers: Record<string, string> = { "content-type": "application/json", "cache-control": "no-store", ...extra };
  if (status === 401) headers["www-authenticate"] = BASIC_CHALLENGE;
  return new Response(JSON.stringify({ ...body, requestId: requestIdOf(req) }), { status, headers });
}
