// Owns what an exchange is made of from the outside: the session it asks for cookies, the record it
// leaves for logs and metrics, and what the forwarder gives it (exchange.ts does the work).

import type { ServerResponse } from "node:http";
import type { OutgoingBody, ReplayBudget } from "./body.js";
import type { UriRewriting } from "./uri-rewriting.js";

/** What the forwarder needs from a session; a SessionManager provides it. */
export interface SessionHandle {
  currentCookie(): string | undefined;
  waitForCookie(): Promise<string>;
  reportUnauthorized(used: string): Promise<string>;
  /** `answer` carries the response's status and Date header (acceptance and skew-proof expiry). */
  adopt(
    setCookie: string | readonly string[] | undefined,
    used: string,
    answer?: { status?: number; date?: string },
  ): void;
}

export interface ExchangeRecord {
  method: string;
  path: string;
  /** The status sent, or 499 (nginx's "client closed request") when the client hung up first. */
  status: number;
  durationMs: number;
  /** Sent again after a 401 (re-login) or a reset keep-alive socket. */
  retried: false | "401" | "reset";
  /** The request's X-Request-Id (src/http/request-id.ts); undefined outside a listener. */
  requestId?: string;
  /** Set when the proxy produced the response, or the transfer broke. */
  error?: string;
  clientAborted?: boolean;
}

export interface ExchangeDeps {
  basePath: string;
  maxReplayBytes: number;
  replayBudget: ReplayBudget;
  upstreamTimeoutMs: number;
  /** Starts one attempt: hands the stand-in request to http-proxy-middleware (http-proxy-adapter.ts). */
  send(req: OutgoingBody, res: ServerResponse): void;
  onDone?(record: ExchangeRecord): void;
  /** The message for a failed connection to the API (TLS trust, proxy); a generic one if absent. */
  describeError?(err: Error): string;
  /** Absolute URIs rewritten between the API's origin and the client's; undefined: --no-rewrite-uris. */
  uris?: UriRewriting;
}
