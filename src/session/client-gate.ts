// Owns the answer to a client's own login or refresh in client identity mode: a login makes (or
// finds) that identity's managed session and answers with an opaque handle, never the cookie.

import type { Clock } from "../clock.js";
import { looksLikeHandle } from "./identity.js";
import {
  BAD_CREDENTIALS,
  maxAgeSeconds,
  refusalUntilReady,
  tooManyLogins,
  type GateAnswer,
  type GateSession,
  type SessionGate,
} from "./operator-gate.js";
import type { IdentityRegistry, IdentitySession } from "./registry.js";

/** What the API answers for a dead token (design fact 5), so SDKs log in again. */
export const INVALID_TOKEN = "Authorization token is invalid";
/** The challenge sent with every 401 of client mode: curl and browsers then know Basic works. */
export const BASIC_CHALLENGE = 'Basic realm="opc-auth-proxy"';

/** A 401 in the API's words for a missing, unknown or expired handle. */
export const invalidToken = (): GateAnswer => ({
  ok: false,
  status: 401,
  message: INVALID_TOKEN,
  challenge: BASIC_CHALLENGE,
});

/**
 * Client mode's gate. `login`: one upstream login for a new identity (concurrent logins of the same
 * identity share it; an identity already held costs none), then 204 with a fresh handle whose
 * Max-Age is the token's seconds left. A password the API rejected is 401 "Incorrect username or
 * password" (refused by the proxy itself within the hold time). `refresh`: a known handle gets the
 * same handle back once its session holds a valid token; anything else is 401 INVALID_TOKEN.
 * Other failures are 503 with the session's reason (code NO_SESSION or SHUTTING_DOWN).
 */
export function clientGate<S extends IdentitySession & GateSession>(
  registry: IdentityRegistry<S>,
  clock: Clock,
): SessionGate {
  const answer = async (session: S, handle: string): Promise<GateAnswer> => {
    const refused = await refusalUntilReady(session);
    if (refused) return refused;
    const now = clock.now();
    const tokenExpiresAt = session.snapshot().tokenExpiresAt ?? now;
    return { ok: true, cookie: handle, maxAgeSeconds: maxAgeSeconds(tokenExpiresAt, now) };
  };
  return {
    async login(user, password) {
      const r = await registry.ensure(user, password);
      if (r.outcome === "failed") return { ok: false, status: 503, message: r.reason, code: "NO_SESSION" };
      if (r.outcome === "throttled") return tooManyLogins({ ok: false, retryAfterSeconds: r.retryAfterSeconds });
      if (r.outcome !== "ok") {
        return { ok: false, status: 401, message: BAD_CREDENTIALS, fromApi: r.outcome === "rejected" };
      }
      const handle = registry.issueHandle(r.key);
      // Evicted between the login and now (a burst of other identities): as if it never was.
      if (handle === undefined) return invalidToken();
      return answer(r.session, handle);
    },
    async refresh(handle) {
      const session = handle !== undefined && looksLikeHandle(handle) ? registry.forHandle(handle) : undefined;
      if (!session || handle === undefined) return invalidToken();
      return answer(session, handle);
    },
  };
}
