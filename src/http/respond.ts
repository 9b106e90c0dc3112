// Owns what a client sees of an error the proxy itself made: the one table from error code to HTTP
// status, and the JSON `{"message", "code"}` body in the shape Compute API clients already parse.

import type { ServerResponse } from "node:http";
import type { ErrorCode, ProxyError } from "../errors.js";
import { maskSecrets } from "../secrets.js";
import { requestIdOf } from "./request-id.js";

/**
 * The HTTP status of each error code (RFC 9110). A `Record` so the compiler flags a code without one.
 * Codes that only ever end a command (USAGE, LISTEN_FAILED, …) map to 500: reaching a client is a bug.
 */
export const HTTP_STATUS: Record<ErrorCode, number> = {
  CONFIG_INVALID: 500,
  USAGE: 500,
  PASSWORD_FILE: 503,
  COOKIE_FILE: 500,
  API_UNREACHABLE: 502,
  API_RESPONSE_INVALID: 502,
  API_TIMEOUT: 504,
  API_ERROR: 502,
  NO_SESSION: 503,
  SHUTTING_DOWN: 503,
  FORBIDDEN_HOST: 403,
  FORBIDDEN_ORIGIN: 403,
  FORBIDDEN_TARGET: 403,
  BAD_REQUEST: 400,
  TOO_MANY_LOGINS: 429,
  NOT_READY: 503,
  LISTEN_FAILED: 500,
  INTERNAL: 500,
};

/** Writes `err` as JSON with its mapped status on a Node response whose head is not yet sent. */
export function sendError(res: ServerResponse, err: ProxyError): void {
  // Masked: a message may quote an API answer that echoed the cookie or the password.
  const parts = err.toBody();
  const body = JSON.stringify({ ...parts, message: maskSecrets(parts.message), requestId: requestIdOf(res.req) });
  res.writeHead(HTTP_STATUS[err.code], {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(body),
    "cache-control": "no-store",
  });
  res.end(body);
}
