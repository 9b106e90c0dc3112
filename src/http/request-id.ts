// Owns request ids: the client's X-Request-Id when it is sane, else a fresh one, stored on the Node
// request (so it reaches the API, the request log and error bodies) and set on the response.

import { randomUUID } from "node:crypto";
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from "node:http";

/** The header nginx ($request_id), Envoy and most tracing setups use; Node lowercases names. */
export const REQUEST_ID_HEADER = "x-request-id";

/**
 * What is kept from a client: up to 128 characters of `[A-Za-z0-9._:-]` (UUIDs, ULIDs, trace ids,
 * `host:pid:seq`). Anything else (spaces, quotes, two headers joined by ", ") is replaced, so the id
 * never breaks a log line, a header or a JSON body.
 */
const SANE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * Gives the request its id, called once per request before any route runs: keeps a sane
 * X-Request-Id, else makes a random UUID (RFC 9562 v4); writes it back into the request headers
 * (forwarded upstream, as nginx and Envoy do) and onto the response (merged into whatever
 * writeHead sends later). Returns the id.
 */
export function assignRequestId(req: IncomingMessage, res: ServerResponse): string {
  const sent = req.headers[REQUEST_ID_HEADER];
  const id = typeof sent === "string" && SANE_ID.test(sent) ? sent : randomUUID();
  req.headers[REQUEST_ID_HEADER] = id;
  res.setHeader(REQUEST_ID_HEADER, id);
  return id;
}

/** The id assignRequestId gave this request; undefined for a request that never got one. */
export function requestIdOf(req: { headers: IncomingHttpHeaders } | undefined): string | undefined {
  const id = req?.headers[REQUEST_ID_HEADER];
  return typeof id === "string" ? id : undefined;
}
