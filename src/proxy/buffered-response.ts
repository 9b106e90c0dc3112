// Owns the small responses the proxy reads whole instead of streaming: a 401 kept back while the
// session logs in again, and relayed as it came when the request cannot be sent again.

import type { IncomingMessage, ServerResponse } from "node:http";
import { maskCookieBuffer, maskCookieHeaders } from "./cookie-mask.js";
import { responseHeaders } from "./headers.js";

/**
 * Reads a small message whole (a response, or a request body: session-endpoints.ts); undefined when
 * it is larger than `limit` bytes (the rest is read and dropped, so memory stays bounded) or breaks off.
 */
export function collect(stream: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    stream.on("data", (c: Buffer) => {
      size += c.length;
      if (size <= limit) chunks.push(c);
    });
    stream.once("end", () => resolve(size <= limit ? Buffer.concat(chunks) : undefined));
    stream.once("error", () => resolve(undefined));
    stream.once("aborted", () => resolve(undefined));
  });
}

/**
 * Relays an upstream response whose body was read whole, with its Content-Length (bytes) set and
 * `cookie` (the managed cookie that request carried) masked out of its headers and body.
 */
export function deliverBuffered(res: ServerResponse, upstream: IncomingMessage, whole: Buffer, cookie: string): void {
  const headers = maskCookieHeaders(responseHeaders(upstream.headers), cookie);
  const body = maskCookieBuffer(whole, cookie);
  headers["content-length"] = body.length;
  res.writeHead(upstream.statusCode ?? 401, headers);
  res.end(body);
}
