// Owns the one seam to http-proxy-middleware: the instance built at start-up, the stand-in request
// it is handed per attempt (exactly the fields http-proxy reads, plus a Symbol-keyed pointer to our
// Attempt), the only cast from its IncomingMessage-typed events back to that Attempt, and the routing
// of proxyReq / proxyRes / error to the Attempt's events. Pinned by test/proxy/http-proxy-contract.test.ts.

import type { ClientRequest, IncomingMessage, OutgoingHttpHeaders, ServerResponse } from "node:http";
import type { Url } from "node:url";
import type { OutgoingBody } from "./body.js";
import "./http-proxy-compat.js"; // before http-proxy loads: it reads util._extend once (DEP0060 on Node 22+)
import { createProxyMiddleware } from "http-proxy-middleware";
import { ProxyError, errorMessage } from "../errors.js";
import { sendError } from "../http/respond.js";
import type { Upstream } from "../upstream/upstream.js";
import { unbracketed } from "../net/host-names.js";

/** One try at sending a request upstream; a 401 replay or a reset retry is a new Attempt. */
export interface Attempt {
  readonly method: string;
  /** The session cookie this attempt carries, to report a 401 or adopt a rotated cookie against. */
  readonly cookie: string;
  readonly events: AttemptEvents;
  proxyReq?: ClientRequest;
  responded: boolean;
  timedOut: boolean;
  /** Tells http-proxy the client went away, so it aborts the upstream request. */
  abort(): void;
}

/** What http-proxy reports about an attempt; Exchange implements it. */
export interface AttemptEvents {
  /** A socket was assigned (skipped by http-proxy when the request carries `Expect`). */
  onProxyReq(attempt: Attempt, proxyReq: ClientRequest): void;
  onResponse(attempt: Attempt, upstream: IncomingMessage): void;
  onError(attempt: Attempt, err: Error): void;
}

/**
 * The request fields http-proxy-middleware 3.0 and http-proxy 1.18 read with our options (no xfwd,
 * no forward, selfHandleResponse, so the response passes that read `httpVersion` never run).
 */
export const STAND_IN_FIELDS = ["method", "url", "headers", "socket"] as const;

const ATTEMPT = Symbol("opc-auth-proxy.attempt");

type StandIn = OutgoingBody & {
  method: string;
  url: string;
  headers: OutgoingHttpHeaders;
  socket: IncomingMessage["socket"];
  [ATTEMPT]: Attempt;
};

/**
 * Turns `body` (the stream http-proxy pipes upstream) into the request it is handed: the listed
 * fields (`socket` from `client`), and a new Attempt behind a Symbol.
 */
export function standIn(
  body: OutgoingBody,
  client: IncomingMessage,
  target: { url: string; headers: OutgoingHttpHeaders },
  attempt: Pick<Attempt, "method" | "cookie" | "events">,
): { req: OutgoingBody; attempt: Attempt } {
  const req = body as StandIn;
  req.method = attempt.method;
  req.url = target.url;
  req.headers = target.headers;
  req.socket = client.socket;
  const full = new SentAttempt(attempt.method, attempt.cookie, attempt.events, body);
  req[ATTEMPT] = full;
  return { req, attempt: full };
}

/** An Attempt with a fixed shape (a class, not a spread object literal: issue 12's hot path). */
class SentAttempt implements Attempt {
  proxyReq?: ClientRequest;
  responded = false;
  timedOut = false;

  constructor(
    readonly method: string,
    readonly cookie: string,
    readonly events: AttemptEvents,
    private readonly body: OutgoingBody,
  ) {}

  abort(): void {
    this.body.emit("aborted");
  }
}

/**
 * The API's origin as http-proxy reads a target (the legacy Url fields `protocol`, `host`,
 * `hostname` without IPv6 brackets, `port`, `path`), built once. Given as a string, http-proxy would
 * parse it again on every request (url.parse, then IDNA) for the same answer.
 */
export function proxyTarget(origin: string): Pick<Url, "protocol" | "host" | "hostname" | "port" | "path"> {
  const url = new URL(origin);
  return {
    protocol: url.protocol,
    host: url.host,
    hostname: unbracketed(url.hostname),
    port: url.port,
    path: "/",
  };
}

/** The Attempt behind a request http-proxy hands back in its events: the only cast. */
export function attemptOf(req: unknown): Attempt {
  return (req as StandIn)[ATTEMPT];
}

/** Sends one stand-in request (from {@link standIn}) upstream; the response comes to its events. */
export type Send = (req: OutgoingBody, res: ServerResponse) => void;

interface WebPasses {
  webPasses: ((req: { method?: string; headers: OutgoingHttpHeaders }, ...rest: unknown[]) => unknown)[];
}

/**
 * http-proxy's `deleteLength` pass sets `Content-Length: 0` on a DELETE or OPTIONS without one, and
 * deletes its Transfer-Encoding: a chunked body then left unframed and the API read it as further
 * requests (design §4: one request in, one request out). It is replaced, on this instance only, by
 * the same pass for requests without a body: Content-Length 0 when neither framing header is there.
 * Throws when http-proxy has no pass of that name any more, so an upgrade is looked at
 * (test/security/framing.test.ts sends a chunked DELETE and OPTIONS).
 */
function keepChunkedFraming(server: WebPasses): void {
  const at = server.webPasses.findIndex((pass) => pass.name === "deleteLength");
  if (at === -1) throw new Error("http-proxy has no deleteLength pass: check its framing of DELETE and OPTIONS");
  server.webPasses[at] = function deleteLength(req) {
    const { method, headers } = req;
    if ((method === "DELETE" || method === "OPTIONS") && !headers["content-length"] && !headers["transfer-encoding"])
      headers["content-length"] = "0";
  };
}

/**
 * Builds the http-proxy-middleware instance once, with the keep-alive agent of `upstream`.
 * @example const send = createSender({ upstream }); send(standIn(body, req, target, attempt), res);
 */
export function createSender(opts: { upstream: Upstream; insecureSkipTlsVerify?: boolean }): Send {
  const middleware = createProxyMiddleware<IncomingMessage, ServerResponse>({
    target: proxyTarget(opts.upstream.origin),
    // The request target travels byte for byte in EXACT_PATH_HEADER (upstream.ts); http-proxy's own
    // path (url.parse of req.url, then a join that collapses `//`) is replaced at the agent anyway,
    // so toProxy skips the parse and prependPath:false the join with the target's path.
    toProxy: true,
    prependPath: false,
    changeOrigin: true,
    agent: opts.upstream.agent,
    secure: !opts.insecureSkipTlsVerify,
    // The response path is ours: cookie adoption, 401 replay and header filtering come first.
    selfHandleResponse: true,
    ejectPlugins: true,
    plugins: [
      (server) => {
        keepChunkedFraming(server as unknown as WebPasses);
        server.on("proxyReq", (proxyReq, req) => attemptOf(req).events.onProxyReq(attemptOf(req), proxyReq));
        server.on("proxyRes", (proxyRes, req) => attemptOf(req).events.onResponse(attemptOf(req), proxyRes));
        server.on("error", (err, req) => attemptOf(req).events.onError(attemptOf(req), err));
        // The client's socket is gone; Exchange already cleaned up on its `close`.
        server.on("econnreset", () => undefined);
      },
    ],
  });
  return function send(req, res) {
    const failed = (err?: unknown): void => {
      if (!res.headersSent) sendError(res, new ProxyError("API_ERROR", `cannot forward: ${errorMessage(err)}`));
    };
    middleware(req as IncomingMessage, res, failed).catch(failed);
  };
}
