// Owns the bodies the proxy itself writes: JSON `{"message", "code", "requestId"}` with the error's
// status, in the shape Compute API clients already parse.

import type { ServerResponse } from "node:http";
import type { ProxyError } from "../errors.js";
import { requestIdOf } from "../http/request-id.js";

export function sendError(res: ServerResponse, err: ProxyError): void {
  const body = JSON.stringify({ ...err.toBody(), requestId: requestIdOf(res.req) });
  res.writeHead(err.status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(body),
    "cache-control": "no-store",
  });
  res.end(body);
}
