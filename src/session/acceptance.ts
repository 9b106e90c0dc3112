// Owns the rule for which nimbula cookies the proxy may take (login, refresh, resume, or adopted
// from any answer): only the operator's configured user decides whose session the proxy holds.

import { decodeClaims, type IssuedCookie } from "./cookie.js";

/** Where a cookie came from, for the warn line that says why it was ignored. */
export type CookieOrigin = "login" | "refresh" | "resume" | "adopt";

export type Verdict = { take: true } | { take: false; reason: string };

/**
 * Whether `issued` may become the session's cookie: it came with a 2xx answer (when the status is
 * known), its Max-Age is above 0 when one is given (Max-Age=0 deletes a cookie, RFC 6265 §5.2.2),
 * and its decoded `user` (when the value decodes) is `user`. An opaque value is taken: older
 * installations and test rigs send values that do not decode (design §2.4).
 * @returns the verdict; a refusal's `reason` names the rule, never the value.
 */
export function judgeCookie(issued: IssuedCookie, user: string): Verdict {
  if (issued.status !== undefined && (issued.status < 200 || issued.status > 299)) {
    return { take: false, reason: `it came with HTTP ${issued.status}, not a 2xx answer` };
  }
  if (issued.maxAgeSeconds !== undefined && issued.maxAgeSeconds <= 0) {
    return { take: false, reason: `its Max-Age is ${issued.maxAgeSeconds}` };
  }
  const owner = decodeClaims(issued.value).user;
  if (owner !== undefined && owner !== user) {
    return { take: false, reason: `it names another user (${owner}), not the configured ${user}` };
  }
  return { take: true };
}
