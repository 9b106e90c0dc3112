// Owns small, fully-buffered calls to the API (login, refresh): one request, a bounded response,
// a deadline for the whole exchange, and network failures turned into API_UNREACHABLE / API_TIMEOUT.

import http from "node:http";
import https from "node:https";
import { ProxyError } from "../errors.js";
import { printable } from "../printable.js";
import { maskSecrets } from "../secrets.js";
import { describeNetError, invalidResponseMessage, UNTRUSTED } from "./net-errors.js";
import { peerIssuer } from "./peer-issuer.js";
import { EXACT_PATH_HEADER, MAX_RESPONSE_HEADER_BYTES, type Upstream } from "./upstream.js";
import { unbracketed } from "../net/host-names.js";

export interface CallRequest {
  method: "GET" | "POST";
  /** Path below the API URL, e.g. "/authenticate/". */
  path: string;
  headers?: Record<string, string>;
  body?: string;
  /**
   * Deadline in ms for the whole exchange, from the start of the request (connecting included) to
   * the last byte of the response. Also the idle timeout. An API that trickles one byte a second
   * never goes quiet, so only a whole deadline bounds it.
   */
  timeoutMs: number;
}

export interface CallResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

const MAX_RESPONSE_BYTES = 64 * 1024;
/** At most this long (ms) to look at an untrusted certificate's issuer for the error message. */
const ISSUER_LOOK_MS = 2_000;

/**
 * Sends one request and buffers the answer (at most 64 KiB are kept). Rejects with a ProxyError:
 * API_TIMEOUT (504) when the exchange is not over within `timeoutMs`, API_UNREACHABLE (502) when
 * the connection, the proxy tunnel or TLS fails; every message is masked of remembered secrets.
 */
export function call(upstream: Upstream, req: CallRequest): Promise<CallResponse> {
  const lib = upstream.api.protocol === "https:" ? https : http;
  const path = upstream.basePath + req.path;
  return new Promise((resolve, reject) => {
    let settled = false;
    let res: http.IncomingMessage | undefined;
    const settle = (err: ProxyError | undefined, value?: CallResponse) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      if (err) {
        r.destroy();
        res?.destroy();
        reject(err);
      } else resolve(value!);
    };
    const started = Date.now();
    const headers: Record<string, string> = { ...req.headers, [EXACT_PATH_HEADER]: path };
    if (req.body !== undefined) headers["content-length"] = String(Buffer.byteLength(req.body));
    const r = lib.request(
      {
        protocol: upstream.api.protocol,
        hostname: unbracketed(upstream.api.hostname),
        port: upstream.api.port || undefined,
        method: req.method,
        path,
        headers,
        // Never the forwarding pool: see Upstream.sessionAgent.
        agent: upstream.sessionAgent,
        maxHeaderSize: MAX_RESPONSE_HEADER_BYTES,
      },
      (response) => {
        res = response;
        const chunks: Buffer[] = [];
        let size = 0;
        response.on("data", (c: Buffer) => {
          size += c.length;
          if (size <= MAX_RESPONSE_BYTES) chunks.push(c);
        });
        response.on("end", () =>
          settle(undefined, {
            status: response.statusCode ?? 0,
            headers: response.headers,
            body: Buffer.concat(chunks).toString("utf8"),
          }),
        );
        response.on("error", (err) => settle(unreachable(upstream, err)));
        response.on("close", () => {
          if (!response.complete) settle(unreachable(upstream, new Error("the connection closed mid-answer")));
        });
      },
    );
    const deadline = setTimeout(
      () => settle(timedOut(upstream, `did not finish answering within ${req.timeoutMs} ms`)),
      req.timeoutMs,
    );
    r.setTimeout(req.timeoutMs, () => settle(timedOut(upstream, `sent nothing for ${req.timeoutMs} ms`)));
    r.on("error", (err) => {
      if (settled) return;
      if (err instanceof ProxyError) return settle(err);
      const lookMs = Math.min(ISSUER_LOOK_MS, started + req.timeoutMs - Date.now() - 50);
      if (!UNTRUSTED.has((err as NodeJS.ErrnoException).code ?? "") || lookMs <= 0)
        return settle(unreachable(upstream, err));
      // Untrusted: one more handshake (no request) to name the certificate's issuer in the message.
      clearTimeout(deadline);
      void peerIssuer(upstream, lookMs).then((issuer) => settle(unreachable(upstream, err, issuer)));
    });
    r.end(req.body);
  });
}

function timedOut(upstream: Upstream, what: string): ProxyError {
  return new ProxyError("API_TIMEOUT", `the API at ${upstream.origin} ${what}`);
}

function unreachable(upstream: Upstream, err: Error, issuer?: string): ProxyError {
  const invalid = invalidResponseMessage(err, MAX_RESPONSE_HEADER_BYTES);
  if (invalid !== undefined) return new ProxyError("API_RESPONSE_INVALID", invalid, { cause: err });
  const message = describeNetError(upstream, err, { extraCa: upstream.extraCa, issuer });
  return new ProxyError("API_UNREACHABLE", maskSecrets(message), { cause: err });
}

/**
 * The `message` of a Compute API JSON error body, or a short excerpt of whatever came back: at most
 * 200 characters, control characters removed (it ends up on terminals) and remembered secrets
 * masked (some gateways echo the request, cookie and all).
 */
export function apiMessage(body: string): string {
  let text: string | undefined;
  try {
    const parsed = JSON.parse(body) as { message?: unknown };
    if (typeof parsed.message === "string") text = parsed.message;
  } catch {
    // Not JSON: an HTML error page from a load balancer, say.
  }
  // Masked before tags are stripped, or a secret holding "<…>" would come out in pieces.
  text ??= maskSecrets(body).replace(/<[^>]*>/g, " ");
  return printable(maskSecrets(text)) || "(empty body)";
}
