// Owns the bodies the proxy itself writes: JSON `{"message", "code"}` with the error's status,
// in the shape Compute API clients already parse.

import type { ServerResponse } from "node:http";
import type { ProxyError } from "../errors.js";
import { maskSecrets } from "../secrets.js";

export function sendError(res: ServerResponse, err: ProxyError): void {
  // Masked: a message may quote an API answer that echoed the cookie or the password.
  const parts = err.toBody();
  const body = JSON.stringify({ ...parts, message: maskSecrets(parts.message) });
  res.writeHead(err.status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(body),
    "cache-control": "no-store",
  });
  res.end(body);
}
