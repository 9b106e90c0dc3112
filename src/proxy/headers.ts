// Owns what crosses the proxy in headers: the request loses the client's Cookie, Authorization,
// hop-by-hop and Expect headers and gains the managed cookie; the response loses hop-by-hop headers
// and the nimbula Set-Cookie, so the session cookie never reaches a client. Message framing
// (Content-Length, Transfer-Encoding, Host) is never removed because `Connection` names it.

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

/**
 * Fields a `Connection` header can never remove (RFC 9110 §7.6.1 lets it name only
 * connection-specific fields; these frame the message). Dropping one while the body still flows
 * would let the body be read upstream as further requests on a shared keep-alive connection.
 */
const FRAMING = new Set(["content-length", "transfer-encoding", "host"]);

/**
 * The headers a forwarded request leaves with. A request with a body always leaves with explicit
 * framing whatever its method: the client's Content-Length when it gave one, else chunked (Node
 * sends a GET, HEAD, DELETE or OPTIONS body with no framing at all unless told).
 * @param incoming the client's headers, as Node parsed them (Node refuses CL together with TE).
 * @param cookie the managed nimbula value to attach.
 * @param exactPath the byte-exact upstream path (see EXACT_PATH_HEADER).
 */
export function requestHeaders(incoming: IncomingHttpHeaders, cookie: string, exactPath: string): OutgoingHttpHeaders {
  const listed = connectionTokens(incoming.connection);
  const out: OutgoingHttpHeaders = {};
  for (const name in incoming) {
    if (REQUEST_DROP.has(name) || name === "transfer-encoding") continue;
    if (HOP_BY_HOP.has(name) || (listed?.has(name) && !FRAMING.has(name))) continue;
    out[name] = incoming[name];
  }
  const te = incoming["transfer-encoding"];
  if (te !== undefined) {
    // The guard let through only codings that end in chunked; Node takes the chunks apart on the
    // way in and chunks again on the way out. Never Content-Length beside it.
    delete out["content-length"];
    out["transfer-encoding"] = te;
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
    if (HOP_BY_HOP.has(name) || (listed?.has(name) && !FRAMING.has(name)) || name === "x-request-id") continue;
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

/** Connection values already split: a proxy sees few distinct ones (keep-alive, close). */
const parsedConnection = new Map<string, ReadonlySet<string>>();
const MAX_PARSED_CONNECTION_VALUES = 64;

/** The lowercased field names a Connection value lists; each distinct value is split once (issue 12). */
function connectionTokens(value: string | undefined): ReadonlySet<string> | undefined {
  if (!value) return undefined;
  let tokens = parsedConnection.get(value);
  if (tokens !== undefined) return tokens;
  tokens = new Set(
    value
      .split(",")
      .map((t) => t.trim().toLowerCase())
      .filter(Boolean),
  );
  if (parsedConnection.size < MAX_PARSED_CONNECTION_VALUES) parsedConnection.set(value, tokens);
  return tokens;
}
