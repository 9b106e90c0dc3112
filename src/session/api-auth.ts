// Owns the two stateless session calls of the Compute API, authenticate and refresh, and the one
// place where their failures are classified: rejected credentials vs transient trouble.

import { ProxyError } from "../errors.js";
import { apiMessage, call, type CallResponse } from "../upstream/call.js";
import type { Upstream } from "../upstream/upstream.js";
import { COOKIE_NAME, findNimbula, parseHttpDate, type IssuedCookie } from "./cookie.js";

export const V3_JSON = "application/oracle-compute-v3+json";

/**
 * How a failed login or refresh should be treated:
 * - rejected: the API said no to these credentials; retrying soon would lock the account.
 * - expired: (refresh only) the token or session is over; only a new login helps.
 * - transient: network, timeout, 5xx, 429 or an unexpected answer; back off and try again.
 */
export type FailureKind = "rejected" | "expired" | "transient";

export class AuthFailure extends Error {
  readonly kind: FailureKind;
  readonly status: number | undefined;

  constructor(kind: FailureKind, message: string, status?: number, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "AuthFailure";
    this.kind = kind;
    this.status = status;
  }
}

export interface AuthClient {
  authenticate(user: string, password: string): Promise<IssuedCookie>;
  refresh(cookie: string): Promise<IssuedCookie>;
}

export function createAuthClient(upstream: Upstream, timeoutMs: number): AuthClient {
  return {
    async authenticate(user, password) {
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
      // Only a 204 with a cookie is a login: a 401 can carry a cookie too.
      if (res.status === 204 && cookie) return cookie;
      if (res.status === 401 || res.status === 403) {
        throw new AuthFailure("rejected", `login rejected: ${apiMessage(res.body)}`, res.status);
      }
      if (res.status === 204) {
        throw new AuthFailure("transient", `login answered 204 without a ${COOKIE_NAME} cookie`, res.status);
      }
      throw new AuthFailure("transient", `login failed with HTTP ${res.status}: ${apiMessage(res.body)}`, res.status);
    },

    async refresh(cookie) {
      const res = await attempt(() =>
        call(upstream, {
          method: "GET",
          path: "/refresh/",
          headers: { cookie: `${COOKIE_NAME}=${cookie}`, accept: V3_JSON },
          timeoutMs,
        }),
      );
      const fresh = answered(res);
      if (res.status === 204 && fresh) return fresh;
      if (res.status === 401) {
        throw new AuthFailure("expired", `refresh refused: ${apiMessage(res.body)}`, res.status);
      }
      throw new AuthFailure("transient", `refresh failed with HTTP ${res.status}: ${apiMessage(res.body)}`, res.status);
    },
  };
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
