// Owns the answer to a client's own login or refresh in the default mode: only the operator's
// configured credentials pass, and what the client gets is a placeholder, never the session cookie.

import type { Clock } from "../clock.js";
import { ProxyError } from "../errors.js";
import { passwordMatches, type Credentials } from "./credentials.js";
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

/** The slice of the session manager the gate needs: a valid cookie on demand, and its expiry. */
export interface GateSession {
  readonly user: string;
  waitForCookie(): Promise<string>;
  snapshot(): { tokenExpiresAt?: number; sessionExpiresAt?: number };
}

/**
 * The default mode's gate: the configured user with the current password gets a placeholder once
 * the managed session is valid (no upstream call when it already is); anything else gets the API's
 * 401, is never sent to the API and is never a session failure.
 */
export function operatorGate(session: GateSession, credentials: Credentials, clock: Clock): SessionGate {
  const placeholder = async (): Promise<GateAnswer> => {
    try {
      await session.waitForCookie();
    } catch (err) {
      if (err instanceof ProxyError) return { ok: false, status: 503, message: err.message, code: err.code };
      throw err;
    }
    const snap = session.snapshot();
    const now = clock.now();
    const tokenExpiresAt = snap.tokenExpiresAt ?? now;
    return {
      ok: true,
      cookie: placeholderCookie(session.user, tokenExpiresAt, snap.sessionExpiresAt ?? tokenExpiresAt),
      maxAgeSeconds: Math.max(0, Math.floor((tokenExpiresAt - now) / 1000)),
    };
  };
  return {
    async login(user, password) {
      let ok = user === session.user;
      try {
        // Compared even for a wrong user name, so the answer takes as long either way.
        ok = (await passwordMatches(credentials, password)) && ok;
      } catch (err) {
        if (err instanceof ProxyError) return { ok: false, status: 503, message: err.message, code: err.code };
        throw err;
      }
      if (!ok) return { ok: false, status: 401, message: BAD_CREDENTIALS };
      return placeholder();
    },
    refresh: () => placeholder(),
  };
}
