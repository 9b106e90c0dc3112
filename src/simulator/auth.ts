// Owns authentication as the API does it (design facts 1, 2, 4, 5): login, refresh, checking the
// cookie on every other request, and issuing new cookie values within a session.

import { apiError, parseJsonObject, readBody, type SimContext } from "./http-util.js";
import { isV3Json, V3_JSON } from "./media.js";
import type { Session } from "./sessions.js";
import type { SimState } from "./state.js";
import { readNimbulaCookie, setCookieHeader, toMillis, toSeconds, type TokenClaims } from "./token.js";
import { customerOf, groupsOf } from "./users.js";

export const INVALID_TOKEN = "Authorization token is invalid";
export const BAD_CREDENTIALS = "Incorrect username or password";

export interface Authenticated {
  session: Session;
  claims: TokenClaims;
}

/** A `Set-Cookie` value carrying a new token of `session`, valid `tokenTtl` from now (never past the end). */
export function issueCookie(state: SimState, session: Session, now: number): string {
  const expires = state.sessions.tokenExpiry(session, now);
  const claims = claimsFor(state, session.user, session.endsAt, expires);
  const value = state.signer.encode(claims, state.options.cookieFormat, session.id);
  return setCookieHeader(value, (expires - now) / 1000);
}

function claimsFor(state: SimState, user: string, endsAt: number, expires: number): TokenClaims {
  return {
    customer: customerOf(user),
    realm: state.options.realm,
    entity_type: "user",
    session_expires: toSeconds(endsAt),
    expires: toSeconds(expires),
    user,
    groups: groupsOf(user),
  };
}

/** The session behind the request's cookie, when the cookie is one we issued, unexpired and unrevoked. */
export function authenticate(c: SimContext, state: SimState): Authenticated | undefined {
  const value = readNimbulaCookie(c.req.header("cookie"));
  const token = value === undefined ? undefined : state.signer.decode(value);
  if (!token) return undefined;
  const { claims } = token;
  const now = state.clock.now();
  if (now >= toMillis(claims.expires)) return undefined;
  const session = state.sessions.find(token.sessionId, now);
  return session && session.user === claims.user ? { session, claims } : undefined;
}

export const invalidToken = (): Response => apiError(401, INVALID_TOKEN);

/** POST /authenticate/: 204 with a new session's cookie, or the API's 415/400/401. */
export async function login(c: SimContext, state: SimState): Promise<Response> {
  if (c.req.method !== "POST") return apiError(405, "Method Not Allowed", { allow: "POST" });
  if (!isV3Json(c.req.header("content-type"))) return apiError(415, `Unsupported Media Type: send ${V3_JSON}`);
  const body = await readBody(c, state.options.maxBodyBytes);
  if (!body.ok) return body.response;
  const parsed = parseJsonObject(body.text);
  if (!parsed.ok) return parsed.response;
  const { user, password } = parsed.value;
  if (typeof user !== "string" || typeof password !== "string") {
    return apiError(400, 'Request body must have string fields "user" and "password"');
  }
  const now = state.clock.now();
  if (!state.users.check(user, password)) {
    state.counters.failedLogins++;
    state.logger.info({ user }, "login refused");
    // The API can send a cookie with a 401 (design fact 1); this one belongs to no session.
    const stray = state.signer.encode(claimsFor(state, "", now, now), state.options.cookieFormat, 0);
    return apiError(401, BAD_CREDENTIALS, { "set-cookie": setCookieHeader(stray, 0) });
  }
  const result = state.sessions.login(user, now);
  if (!result.ok) return apiError(507, `Simulator session limit reached (maxSessions=${state.options.maxSessions})`);
  state.counters.logins++;
  state.logger.info({ user }, "login");
  return new Response(null, { status: 204, headers: { "set-cookie": issueCookie(state, result.session, now) } });
}

/** GET /refresh/: 204 with a token extended by the token TTL from now, capped at the session end. */
export function refresh(c: SimContext, state: SimState): Response {
  const auth = authenticate(c, state);
  if (!auth) return invalidToken();
  if (c.req.method !== "GET" && c.req.method !== "HEAD") return apiError(405, "Method Not Allowed", { allow: "GET" });
  state.counters.refreshes++;
  return new Response(null, {
    status: 204,
    headers: { "set-cookie": issueCookie(state, auth.session, state.clock.now()) },
  });
}
