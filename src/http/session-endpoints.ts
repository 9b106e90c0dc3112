// Owns the API's own session endpoints as clients see them through the proxy: `POST /authenticate/`
// and `GET /refresh/` are answered here, never forwarded, so only the operator decides whose
// session the proxy holds. Parsing is the API's; the decision is the injected gate's.

import type { IncomingMessage } from "node:http";
import type { HttpBindings } from "@hono/node-server";
import { Counter, type Registry } from "prom-client";
import type { Logger } from "../log.js";
import { COOKIE_NAME, nimbulaFromCookieHeader } from "../session/cookie.js";
import type { GateAnswer, SessionGate } from "../session/operator-gate.js";
import { sessionPathOf } from "./session-path.js";
import { collect } from "../proxy/buffered-response.js";

export interface SessionEndpointsOptions {
  gate: SessionGate;
  log: Logger;
  registry: Registry;
  /** Largest login body read, bytes (default 64 KiB); past it, 413 as the API answers. */
  maxBodyBytes?: number;
}

/** Content types the API takes for a login body: its own, and plain JSON as its reference lists. */
const LOGIN_TYPES = new Set(["application/oracle-compute-v3+json", "application/json"]);
const NO_STORE = { "cache-control": "no-store" };
/** The metric's outcome label for each refusal status. */
const OUTCOME = { 401: "rejected", 429: "throttled", 503: "unavailable" } as const;

/**
 * Builds the handler; it returns undefined for any target that is not a session endpoint, so the
 * caller forwards it. Targets are matched raw (query ignored), with or without the trailing slash;
 * any other spelling of them (case, percent-encoding, dot segments: session-path.ts) is 400
 * BAD_REQUEST, never forwarded.
 * Answers: 204 + `Set-Cookie: nimbula=<placeholder>; Path=/; Max-Age=<s>`; 401 `{"message":
 * "Incorrect username or password"}`; 400, 405, 413, 415 with the API's style of message; 429
 * TOO_MANY_LOGINS with `Retry-After` (seconds) when the gate throttles the user; 503 when there is
 * no session to stand behind the placeholder.
 */
export function createSessionEndpoints(opts: SessionEndpointsOptions) {
  const limit = opts.maxBodyBytes ?? 64 * 1024;
  const counter = new Counter({
    name: "opc_auth_proxy_client_session_requests_total",
    help: "Clients' own POST /authenticate/ and GET /refresh/, answered by the proxy, by endpoint and outcome.",
    labelNames: ["endpoint", "outcome"] as const,
    registers: [opts.registry],
  });

  const answer = (endpoint: string, a: GateAnswer): Response => {
    counter.inc({ endpoint, outcome: a.ok ? "accepted" : OUTCOME[a.status] });
    if (a.ok) {
      const cookie = `${COOKIE_NAME}=${a.cookie}; Path=/; Max-Age=${a.maxAgeSeconds}`;
      return new Response(null, { status: 204, headers: { "set-cookie": cookie, ...NO_STORE } });
    }
    const body = a.code ? { message: a.message, code: a.code } : { message: a.message };
    const extra: Record<string, string> =
      a.status === 429
        ? { "retry-after": String(a.retryAfterSeconds) }
        : a.challenge
          ? { "www-authenticate": a.challenge }
          : {};
    return json(a.status, body, extra);
  };

  async function authenticate(req: IncomingMessage): Promise<Response> {
    if (req.method !== "POST") {
      req.resume();
      return json(405, { message: "Method Not Allowed" }, { allow: "POST" });
    }
    const type = (req.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase();
    if (!LOGIN_TYPES.has(type)) {
      req.resume();
      return json(415, { message: "Unsupported Media Type: send application/oracle-compute-v3+json" });
    }
    const text = (await collect(req, limit))?.toString("utf8");
    if (text === undefined) return json(413, { message: `Request body larger than ${limit} bytes` });
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      return json(400, { message: "Malformed JSON in request body" });
    }
    const { user, password } = (body ?? {}) as { user?: unknown; password?: unknown };
    if (typeof body !== "object" || Array.isArray(body) || typeof user !== "string" || typeof password !== "string") {
      return json(400, { message: 'Request body must have string fields "user" and "password"' });
    }
    const result = await opts.gate.login(user, password);
    if (!result.ok && result.status === 401) {
      opts.log.warn(
        { event: "client_login_rejected", user: user.slice(0, 200) },
        result.fromApi
          ? "a client's own login was rejected by the API"
          : "a client's own login was refused by the proxy; nothing was sent to the API",
      );
    } else if (!result.ok && result.status === 429) {
      opts.log.warn(
        { event: "client_login_throttled", user: user.slice(0, 200), retryAfterSeconds: result.retryAfterSeconds },
        "a client's own login was refused unchecked: too many failed logins for this user",
      );
    }
    return answer("authenticate", result);
  }

  async function refresh(req: IncomingMessage): Promise<Response> {
    req.resume();
    if (req.method !== "GET" && req.method !== "HEAD") {
      return json(405, { message: "Method Not Allowed" }, { allow: "GET" });
    }
    return answer("refresh", await opts.gate.refresh(nimbulaFromCookieHeader(req.headers.cookie)));
  }

  return function sessionEndpoint(c: { env: HttpBindings }): Promise<Response> | undefined {
    const req = c.env.incoming;
    const named = sessionPathOf((req.url ?? "").split("?")[0]!);
    if (named === undefined) return undefined;
    if (!named.exact) {
      // Another spelling of a session endpoint: never forwarded (it would carry the managed cookie).
      req.resume();
      const canonical = `/${named.endpoint}/`;
      const message = `this target names ${canonical} in another spelling; send exactly ${canonical}`;
      return Promise.resolve(json(400, { message, code: "BAD_REQUEST" }));
    }
    return named.endpoint === "authenticate" ? authenticate(req) : refresh(req);
  };
}

/**
 * True when the raw request target may be one of the session endpoints above (cheap, no allocation):
 * the request listener's fast path leaves those to the app. A false positive only costs speed.
 */
export function maybeSessionEndpoint(url: string): boolean {
  // The same suspicion session-path.ts applies before it looks closer (case, escapes, dot segments).
  return SESSION_SUSPECT.test(url);
}

const SESSION_SUSPECT = /uthenticate|efresh|%|\\/i;

function json(status: number, body: object, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json", ...NO_STORE, ...headers },
  });
}
