// Owns small, fully-buffered calls to the API (login, refresh): one request, a bounded response,
// and network failures turned into API_UNREACHABLE / API_TIMEOUT errors.

import http from "node:http";
import https from "node:https";
import { ProxyError } from "../errors.js";
import { describeNetError, invalidResponseMessage } from "./net-errors.js";
import { EXACT_PATH_HEADER, MAX_RESPONSE_HEADER_BYTES, type Upstream } from "./upstream.js";

export interface CallRequest {
  method: "GET" | "POST";
  /** Path below the API URL, e.g. "/authenticate/". */
  path: string;
  headers?: Record<string, string>;
  body?: string;
  timeoutMs: number;
}

export interface CallResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

const MAX_RESPONSE_BYTES = 64 * 1024;

export function call(upstream: Upstream, req: CallRequest): Promise<CallResponse> {
  const lib = upstream.api.protocol === "https:" ? https : http;
  const path = upstream.basePath + req.path;
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...req.headers, [EXACT_PATH_HEADER]: path };
    if (req.body !== undefined) headers["content-length"] = String(Buffer.byteLength(req.body));
    const r = lib.request(
      {
        protocol: upstream.api.protocol,
        hostname: upstream.api.hostname.replace(/^\[|\]$/g, ""),
        port: upstream.api.port || undefined,
        method: req.method,
        path,
        headers,
        // Never the forwarding pool: see Upstream.sessionAgent.
        agent: upstream.sessionAgent,
        maxHeaderSize: MAX_RESPONSE_HEADER_BYTES,
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on("data", (c: Buffer) => {
          size += c.length;
          if (size <= MAX_RESPONSE_BYTES) chunks.push(c);
        });
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") }),
        );
        res.on("error", (err) => reject(unreachable(upstream, err)));
      },
    );
    r.setTimeout(req.timeoutMs, () =>
      r.destroy(
        new ProxyError("API_TIMEOUT", `the API at ${upstream.origin} did not answer within ${req.timeoutMs} ms`, 504),
      ),
    );
    r.on("error", (err) => reject(err instanceof ProxyError ? err : unreachable(upstream, err)));
    r.end(req.body);
  });
}

function unreachable(upstream: Upstream, err: Error): ProxyError {
  const invalid = invalidResponseMessage(err, MAX_RESPONSE_HEADER_BYTES);
  if (invalid !== undefined) return new ProxyError("API_RESPONSE_INVALID", invalid, 502, { cause: err });
  return new ProxyError("API_UNREACHABLE", describeNetError(upstream, err), 502, { cause: err });
}

/** The `message` of a Compute API JSON error body, or a short excerpt of whatever came back. */
export function apiMessage(body: string): string {
  try {
    const parsed = JSON.parse(body) as { message?: unknown };
    if (typeof parsed.message === "string") return parsed.message;
  } catch {
    // Not JSON: an HTML error page from a load balancer, say.
  }
  const text = body
    .replace(/<[^>]*>/g, " ")
    .replace(/\s+/g, " ")
    .trim();
  return text.length > 200 ? `${text.slice(0, 200)}…` : text || "(empty body)";
}
