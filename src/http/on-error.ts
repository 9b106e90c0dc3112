// Owns how an error nobody answered becomes a response: a ProxyError gets its mapped status and
// message; anything else is a bug, so the client gets a generic 500 with a request id and the full
// error is logged once, under that id, with the method and path.

import { randomBytes } from "node:crypto";
import type { Context } from "hono";
import type { HttpBindings } from "@hono/node-server";
import { ProxyError } from "../errors.js";
import type { Logger } from "../log.js";
import { HTTP_STATUS } from "./respond.js";
import { requestIdOf } from "./request-id.js";

/** A short random id that ties a 500 a client saw to the one log line that explains it. */
export type NewRequestId = () => string;
export const randomRequestId: NewRequestId = () => randomBytes(6).toString("hex");

const JSON_HEADERS = { "content-type": "application/json", "cache-control": "no-store" };

/**
 * The response for an error that escaped every handler. `where` names the request when it is
 * known (method and raw path, without the query). Logs at error level only for non-ProxyErrors.
 */
export function errorResponse(
  err: unknown,
  log: Logger,
  where: { method?: string; path?: string } = {},
  newRequestId: NewRequestId = randomRequestId,
): Response {
  if (err instanceof ProxyError) {
    return new Response(JSON.stringify(err.toBody()), { status: HTTP_STATUS[err.code], headers: JSON_HEADERS });
  }
  const requestId = newRequestId();
  const target = where.method && where.path ? `${where.method} ${where.path}` : "a request";
  log.error(
    { event: "internal_error", err, requestId, method: where.method, path: where.path },
    `internal error while answering ${target} (request ${requestId})`,
  );
  const body = { message: "internal error", code: "INTERNAL", requestId };
  return new Response(JSON.stringify(body), { status: HTTP_STATUS.INTERNAL, headers: JSON_HEADERS });
}

/**
 * The app's `onError` handler: {@link errorResponse} with the request's method and raw path.
 * @example app.onError(createOnError(log));
 */
export function createOnError(log: Logger, newRequestId: NewRequestId = randomRequestId) {
  return function onError(err: Error, c: Context<{ Bindings: HttpBindings }>): Response {
    const path = (c.env?.incoming?.url ?? c.req.path).split("?")[0];
    // The request's own X-Request-Id (src/http/request-id.ts) when the listener assigned one.
    const assigned = c.env?.incoming ? requestIdOf(c.env.incoming) : undefined;
    return errorResponse(err, log, { method: c.req.method, path }, assigned ? () => assigned : newRequestId);
  };
}
