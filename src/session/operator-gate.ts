// Owns the answer to a client's own login or refresh in the default mode: only the operator's
// configured credentials pass, and what the client gets is a placeholder, never the session cookie.

import type { Clock } from "../clock.js";
import { ProxyError } from "../errors.js";
import { passwordMatches, type Credentials } from "./credentials.js";
import { LoginThrottle, type ThrottleVerdict } from "./login-throttle.js";
import { placeholderCookie } from "./placeholder.js";

/** What a client's login or refresh gets: a cookie value to set, or a refusal in the API's words. */
export type GateAnswer =
  | { ok: true; cookie: string; maxAgeSeconds: number }
  | {
      ok: false;
      status: 401 | 503;
      message: string;
      code?: string;
      /** A `WWW-Authenticate` challenge to send with a 401 (client identity mode). */
      challenge?: string;
      /** The API itself refused these credentials just now (client identity mode), rather than the proxy. */
      fromApi?: boolean;
    }
  | {
      ok: false;
      status: 429;
      message: string;
      code: "TOO_MANY_LOGINS";
      retryAfterSeconds: number;
      challenge?: undefined;
    };

/**
 * What the session endpoints ask; one implementation per identity mode (this file: one configured
 * user; issue 9's per-identity registry brings its own). No HTTP types cross this line.
 */
export interface SessionGate {
  /** A client's `POST /authenticate/` with these credentials. */
  login(user: string, password: string): Promise<GateAnswer>;
  /** A client's `GET /refresh/`, with the nimbula value it sent, if any. */
  refresh(cookie: string | undefined): Promise<GateAnswer>;
}

export const BAD_CREDENTIALS = "Incorrect username or password";

/** The answer to a login the throttle refused; the password was not looked at. */
export function tooManyLogins(verdict: Extract<ThrottleVerdict, { ok: false }>): GateAnswer {
  const n = verdict.retryAfterSeconds;
  return {
    ok: false,
    status: 429,
    message: `too many failed logins for this user; try again in ${n} s`,
    code: "TOO_MANY_LOGINS",
    retryAfterSeconds: n,
  };
}

/**
 * Waits until `session` holds a valid cookie. Returns undefined then, or the 503 answer the client
 * gets when the session cannot have one (a ProxyError: NO_SESSION with its reason, SHUTTING_DOWN);
 * any other error is thrown. Both identity modes' gates answer through it.
 */
export async function refusalUntilReady(session: Pick<GateSession, "waitForCookie">): Promise<GateAnswer | undefined> {
  try {
    await session.waitForCookie();
    return undefined;
  } catch (err) {
    if (err instanceof ProxyError) return { ok: false, status: 503, message: err.message, code: err.code };
    throw err;
  }
}

/** A cookie's Max-Age: whole seconds from `now` until `expiresAt` (both ms since the epoch), at least 0. */
export function maxAgeSeconds(expiresAt: number, now: number): number {
  return Math.max(0, Math.floor((expiresAt - now) / 1000));
}

/** The slice of the session manager the gate needs: a valid cookie on demand, and its expiry. */
export interface GateSession {
  readonly user: string;
  waitForCookie(): Promise<string>;
  snapshot(): { tokenExpiresAt?: number; sessionExpiresAt?: number };
}

/**
 * The default mode's gate: the configured user with the current password gets a placeholder once
 * the managed session is valid (no upstream call when it already is); anything else gets the API's
 * 401, is never sent to the API and is never a session failure. Wrong guesses are throttled per user
 * name (`throttle`, default 3 free failures then lockouts from 1 s to 5 min): a locked-out login gets
 * 429 TOO_MANY_LOGINS without its password being compared, so the proxy is no guessing oracle.
 */
export function operatorGate(
  session: GateSession,
  credentials: Credentials,
  clock: Clock,
  throttle: LoginThrottle = new LoginThrottle({ clock }),
): SessionGate {
  const placeholder = async (): Promise<GateAnswer> => {
    const refused = await refusalUntilReady(session);
    if (refused) return refused;
    const snap = session.snapshot();
    const now = clock.now();
    const tokenExpiresAt = snap.tokenExpiresAt ?? now;
    return {
      ok: true,
      cookie: placeholderCookie(session.user, tokenExpiresAt, snap.sessionExpiresAt ?? tokenExpiresAt),
      maxAgeSeconds: maxAgeSeconds(tokenExpiresAt, now),
    };
  };
  return {
    async login(user, password) {
      const verdict = throttle.check(user);
      if (!verdict.ok) return tooManyLogins(verdict);
      let ok = user === session.user;
      try {
        // Compared even for a wrong user name, so the answer takes as long either way.
        ok = (await passwordMatches(credentials, password)) && ok;
      } catch (err) {
        throttle.abandoned(user);
        if (err instanceof ProxyError) return { ok: false, status: 503, message: err.message, code: err.code };
        throw err;
      }
      if (!ok) {
        throttle.failed(user);
        return { ok: false, status: 401, message: BAD_CREDENTIALS };
      }
      throttle.succeeded(user);
      return placeholder();
    },
    refresh: () => placeholder(),
  };
}
