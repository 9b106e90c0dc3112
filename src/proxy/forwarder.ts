// Owns the forwarding machinery: one sender (http-proxy-adapter.ts) built at start-up, an Exchange
// per request, and the set of exchanges in flight that a drain can cut.

import type { IncomingMessage, ServerResponse } from "node:http";
import { describeNetError } from "../upstream/net-errors.js";
import type { Upstream } from "../upstream/upstream.js";
import type { ProxyError } from "../errors.js";
import { Exchange, type ExchangeRecord, type SessionHandle } from "./exchange.js";
import { ReplayBudget } from "./body.js";
import { createSender } from "./http-proxy-adapter.js";
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
  const send = createSender(opts);
  const deps = {
    basePath: opts.upstream.basePath,
    maxReplayBytes: opts.maxReplayBytes,
    replayBudget: new ReplayBudget(Math.max(opts.maxReplayBytes, opts.replayBudgetBytes ?? DEFAULT_REPLAY_BUDGET)),
    upstreamTimeoutMs: opts.upstreamTimeoutMs,
    send,
    onDone: opts.onExchange,
    describeError: (err: Error) => describeNetError(opts.upstream, err),
    uris: opts.uris,
  };

  const active = new Set<Exchange>();
  const forward = (req: IncomingMessage, res: ServerResponse) =>
    new Promise<void>((resolve) => {
      const exchange: Exchange = new Exchange(req, res, opts.sessionFor(req), deps, () => {
        active.delete(exchange);
        resolve();
      });
      active.add(exchange);
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
