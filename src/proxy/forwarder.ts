// Owns the forwarding machinery: one http-proxy-middleware instance, built once at start-up, whose
// events are routed to the Exchange that owns each request.

import type { IncomingMessage, ServerResponse } from "node:http";
import { createProxyMiddleware } from "http-proxy-middleware";
import { describeNetError } from "../upstream/net-errors.js";
import type { Upstream } from "../upstream/upstream.js";
import { ProxyError, errorMessage } from "../errors.js";
import { Exchange, type ExchangeRecord, type ForwardRequest, type SessionHandle } from "./exchange.js";
import { ReplayBudget } from "./body.js";
import { sendError } from "./respond.js";
import type { UriRewriting } from "./uri-rewriting.js";

const DEFAULT_REPLAY_BUDGET = 64 * 1024 * 1024;

export interface ForwarderOptions {
  upstream: Upstream;
  /** The session for this request: one today, one per identity later. */
  sessionFor(req: IncomingMessage): SessionHandle;
  maxReplayBytes: number;
  /** Bytes all requests together may keep for replay (default 64 MiB, at least maxReplayBytes). */
  replayBudgetBytes?: number;
  upstreamTimeoutMs: number;
  insecureSkipTlsVerify?: boolean;
  onExchange?(record: ExchangeRecord): void;
  /** Rewrites absolute URIs between the API's origin and the client's; undefined: off. */
  uris?: UriRewriting;
}

export type Forward = ((req: IncomingMessage, res: ServerResponse) => Promise<void>) & {
  /** Ends every exchange still in flight with `err` (503 if nothing was sent); returns how many. */
  cutAll(err: ProxyError): number;
};

export function createForwarder(opts: ForwarderOptions): Forward {
  const middleware = createProxyMiddleware<IncomingMessage, ServerResponse>({
    target: opts.upstream.origin,
    changeOrigin: true,
    agent: opts.upstream.agent,
    secure: !opts.insecureSkipTlsVerify,
    // The response path is ours: cookie adoption, 401 replay and header filtering come first.
    selfHandleResponse: true,
    ejectPlugins: true,
    plugins: [
      (server) => {
        server.on("proxyReq", (proxyReq, req) => fwd(req).exchange.onProxyReq(fwd(req), proxyReq));
        server.on("proxyRes", (proxyRes, req) => fwd(req).exchange.onResponse(fwd(req), proxyRes));
        server.on("error", (err, req) => fwd(req).exchange.onError(fwd(req), err));
        // The client's socket is gone; Exchange already cleaned up on its `close`.
        server.on("econnreset", () => undefined);
      },
    ],
  });

  const deps = {
    basePath: opts.upstream.basePath,
    maxReplayBytes: opts.maxReplayBytes,
    replayBudget: new ReplayBudget(Math.max(opts.maxReplayBytes, opts.replayBudgetBytes ?? DEFAULT_REPLAY_BUDGET)),
    upstreamTimeoutMs: opts.upstreamTimeoutMs,
    send(fwd: ForwardRequest, res: ServerResponse) {
      middleware(fwd as unknown as IncomingMessage, res, (err?: unknown) => {
        if (!res.headersSent) sendError(res, new ProxyError("API_ERROR", `cannot forward: ${errorMessage(err)}`, 502));
      }).catch((err: unknown) => {
        if (!res.headersSent) sendError(res, new ProxyError("API_ERROR", `cannot forward: ${errorMessage(err)}`, 502));
      });
    },
    onDone: opts.onExchange,
    describeError: (err: Error) => describeNetError(opts.upstream, err),
    uris: opts.uris,
  };

  const active = new Set<Exchange>();
  const forward = (req: IncomingMessage, res: ServerResponse) =>
    new Promise<void>((resolve) => {
      const exchange = new Exchange(req, res, opts.sessionFor(req), deps);
      active.add(exchange);
      res.once("close", () => {
        active.delete(exchange);
        resolve();
      });
      exchange.run().catch((err: unknown) => exchange.abandon(err));
    });
  return Object.assign(forward, {
    cutAll(err: ProxyError) {
      const n = active.size;
      for (const exchange of [...active]) exchange.cut(err);
      return n;
    },
  });
}

/** http-proxy types its events with IncomingMessage; ours are the stand-ins Exchange made. */
function fwd(req: unknown): ForwardRequest {
  return req as ForwardRequest;
}
