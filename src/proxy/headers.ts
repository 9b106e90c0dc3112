// Owns what crosses the proxy in headers: the request loses the client's Cookie, Authorization,
// hop-by-hop and Expect headers and gains the managed cookie; the response loses hop-by-hop headers
// and the nimbula Set-Cookie, so the session cookie never reaches a client.

import type { IncomingHttpHeaders, OutgoingHttpHeaders } from "node:http";
import { COOKIE_NAME, mentionsNimbula } from "../session/cookie.js";
import { EXACT_PATH_HEADER } from "../upstream/upstream.js";

/** RFC 9110 §7.6.1 connection-specific fields, plus the legacy ones proxies still see. */
const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "proxy-authenticate",
  "proxy-authorization",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
]);

/**
 * Dropped from requests on top of the hop-by-hop set. Expect is answered by this proxy's own server
 * (100 Continue), and forwarding it would make Node flush the request line before the exact path
 * and cookie are in place.
 */
const REQUEST_DROP = new Set(["cookie", "authorization", "expect", "host", EXACT_PATH_HEADER]);

export function requestHeaders(incoming: IncomingHttpHeaders, cookie: string, exactPath: string): OutgoingHttpHeaders {
  const listed = connectionTokens(incoming.connection);
  const out: OutgoingHttpHeaders = {};
  for (const name in incoming) {
    if (REQUEST_DROP.has(name) || (HOP_BY_HOP.has(name) && name !== "transfer-encoding") || listed?.has(name)) continue;
    out[name] = incoming[name];
  }
  out.cookie = `${COOKIE_NAME}=${cookie}`;
  out[EXACT_PATH_HEADER] = exactPath;
  return out;
}

export function responseHeaders(upstream: IncomingHttpHeaders): OutgoingHttpHeaders {
  const listed = connectionTokens(upstream.connection);
  const out: OutgoingHttpHeaders = {};
  for (const name in upstream) {
    // The proxy's own X-Request-Id (already on the response) names the request in its logs: it wins.
    if (HOP_BY_HOP.has(name) || listed?.has(name) || name === "x-request-id") continue;
    const value = upstream[name];
    if (name === "set-cookie" && value !== undefined) {
      const kept = (typeof value === "string" ? [value] : value).filter((line) => !mentionsNimbula(line));
      if (kept.length > 0) out[name] = kept;
      continue;
    }
    out[name] = value;
  }
  return out;
}

function connectionTokens(value: string | undefined): Set<string> | undefined {
  if (!value) return undefined;
  return new Set(
    value
      .split(",")
      .map((t) => t.trim().toLowerCase())
      .filter(Boolean),
  );
}
