// Owns the two stateless session calls of the Compute API, authenticate and refresh, and the one
// place where their failures are classified: rejected credentials vs transient trouble.

import { ProxyError } from "../errors.js";
import { maskSecrets, rememberSecret } from "../secrets.js";
import { apiMessage, call, type CallResponse } from "../upstream/call.js";
import type { Upstream } from "../upstream/upstream.js";
import { COOKIE_NAME, findNimbula, parseHttpDate, type IssuedCookie } from "./cookie.js";
import type { FailureKind } from "./events.js";

export const V3_JSON = "application/oracle-compute-v3+json";

/**
 * A failed authenticate or refresh call; `kind` is never "credentials" (that is the password source's).
 * Only the API itself saying no to these credentials (401 with its JSON error body) is "rejected":
 * not a proxy's refusal of the tunnel, a 407, a gateway's 401 page, a TLS failure or a reset.
 */
export class AuthFailure extends Error {
  readonly kind: Exclude<FailureKind, "credentials">;
  readonly status: number | undefined;

  /** `message` is masked of every remembered secret (an API may echo the request in its body). */
  constructor(
    kind: Exclude<FailureKind, "credentials">,
    message: string,
    status?: number,
    options?: { cause?: unknown },
  ) {
    super(maskSecrets(message), options);
    this.name = "AuthFailure";
    this.kind = kind;
    this.status = status;
  }
}

export interface AuthClient {
  authenticate(user: string, password: string): Promise<IssuedCookie>;
  refresh(cookie: string): Promise<IssuedCookie>;
}

/**
 * Login and refresh against `upstream`, each bounded by `timeoutMs` for the whole exchange (a late
 * or trickling answer is a transient failure with an API_TIMEOUT cause). Every password and cookie
 * that passes through is remembered in the secret registry, so no message can quote it.
 */
export function createAuthClient(upstream: Upstream, timeoutMs: number): AuthClient {
  return {
    async authenticate(user, password) {
      rememberSecret(password);
      const res = await attempt(() =>
        call(upstream, {
          method: "POST",
          path: "/authenticate/",
          headers: { "content-type": V3_JSON, accept: V3_JSON },
          body: JSON.stringify({ user, password }),
          timeoutMs,
        }),
      );
      const cookie = answered(res);
      if (cookie) rememberSecret(cookie.value);
      // Only a 204 with a cookie is a login: a 401 can carry a cookie too.
      if (res.status === 204 && cookie) return cookie;
      if (res.status === 401 && isApiError(res)) {
        throw new AuthFailure("rejected", `login rejected: ${apiMessage(res.body)}`, res.status);
      }
      if (res.status === 407 || ((res.status === 401 || res.status === 403) && !isApiError(res))) {
        throw new AuthFailure("transient", notFromApi(upstream, res), res.status);
      }
      if (res.status === 204) {
        throw new AuthFailure("transient", `login answered 204 without a ${COOKIE_NAME} cookie`, res.status);
      }
      throw new AuthFailure("transient", `login failed with HTTP ${res.status}: ${apiMessage(res.body)}`, res.status);
    },

    async refresh(cookie) {
      rememberSecret(cookie);
      const res = await attempt(() =>
        call(upstream, {
          method: "GET",
          path: "/refresh/",
          headers: { cookie: `${COOKIE_NAME}=${cookie}`, accept: V3_JSON },
          timeoutMs,
        }),
      );
      const fresh = answered(res);
      if (fresh) rememberSecret(fresh.value);
      if (res.status === 204 && fresh) return fresh;
      if (res.status === 401 && isApiError(res)) {
        throw new AuthFailure("expired", `refresh refused: ${apiMessage(res.body)}`, res.status);
      }
      throw new AuthFailure("transient", `refresh failed with HTTP ${res.status}: ${apiMessage(res.body)}`, res.status);
    },
  };
}

/** A Compute API error: its bodies are JSON objects (design fact 5); a gateway's or proxy's are pages. */
function isApiError(res: CallResponse): boolean {
  try {
    const parsed: unknown = JSON.parse(res.body);
    return typeof parsed === "object" && parsed !== null && !Array.isArray(parsed);
  } catch {
    return false;
  }
}

/** An auth-looking refusal that did not come from the Compute API: say so, and what to check. */
function notFromApi(upstream: Upstream, res: CallResponse): string {
  const route = upstream.route;
  const check = route.kind === "proxy" ? `${route.from} (${route.display}) and NO_PROXY` : "--api";
  const what =
    res.status === 407
      ? `the proxy wants credentials (407): put them in ${route.kind === "proxy" ? route.from : "HTTP_PROXY"}`
      : `HTTP ${res.status} without the Compute API's JSON error body, so something in between refused it (not a wrong password): check ${check}`;
  return `login failed: ${what}: ${apiMessage(res.body)}`;
}

/** True when `err` ended at the call's deadline (its cause is an API_TIMEOUT ProxyError). */
export function isTimeout(err: unknown): boolean {
  return err instanceof AuthFailure && err.cause instanceof ProxyError && err.cause.code === "API_TIMEOUT";
}

/** The answer's nimbula cookie with the facts acceptance and expiry need: its status and Date. */
function answered(res: CallResponse): IssuedCookie | undefined {
  const cookie = findNimbula(res.headers["set-cookie"]);
  if (!cookie) return undefined;
  cookie.status = res.status;
  const date = parseHttpDate(res.headers.date);
  if (date !== undefined) cookie.dateMs = date;
  return cookie;
}

async function attempt<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof ProxyError) throw new AuthFailure("transient", err.message, undefined, { cause: err });
    throw err;
  }
}
