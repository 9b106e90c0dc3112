// Owns one client request from arrival to the last byte of its response: get the session cookie,
// send the request upstream (through http-proxy-middleware), and on the way back run the stages
// adopt cookie → 401 re-login and replay → filter headers → stream the body.

import type { ClientRequest, IncomingMessage, OutgoingHttpHeaders, ServerResponse } from "node:http";
import type { Readable } from "node:stream";
import { ProxyError, errorMessage } from "../errors.js";
import { ReplayableBody, emptyBody, hasBody, type OutgoingBody } from "./body.js";
import type { ExchangeDeps, ExchangeRecord, SessionHandle } from "./exchange-types.js";
import { requestHeaders, responseHeaders } from "./headers.js";
import { sendError } from "../http/respond.js";
import { collect, deliverBuffered } from "./buffered-response.js";
import { maskCookieHeaders, masksBody, relayMasked } from "./cookie-mask.js";
import { standIn, type Attempt, type AttemptEvents } from "./http-proxy-adapter.js";
import { requestIdOf } from "../http/request-id.js";
import type { ExchangeUris } from "./uri-rewriting.js";
import { invalidResponseMessage } from "../upstream/net-errors.js";
import { MAX_RESPONSE_HEADER_BYTES } from "../upstream/upstream.js";

export type { ExchangeDeps, ExchangeRecord, SessionHandle } from "./exchange-types.js";

const IDEMPOTENT = new Set(["GET", "HEAD", "PUT", "DELETE", "OPTIONS"]);
const MAX_401_BODY = 64 * 1024;

export class Exchange implements AttemptEvents {
  private readonly started = performance.now();
  private body: ReplayableBody | undefined;
  private retried: ExchangeRecord["retried"] = false;
  private finished = false;
  private error: string | undefined;
  private current: Attempt | undefined;
  private cutByProxy = false;
  private readonly uris: ExchangeUris | undefined;

  constructor(
    private readonly req: IncomingMessage,
    private readonly res: ServerResponse,
    private readonly session: SessionHandle,
    private readonly deps: ExchangeDeps,
    /** Called once when the client's response closes, after the record is reported. */
    private readonly whenClosed?: () => void,
  ) {
    this.uris = deps.uris?.forRequest(req.headers);
  }

  async run(): Promise<void> {
    const { req, res } = this;
    res.once("close", () => {
      this.closed();
      this.whenClosed?.();
    });
    const bodied = hasBody(req);
    if (bodied) {
      req.once("close", () => {
        // The client went away mid-upload: stop the upstream request too.
        if (!req.complete) this.current?.abort();
      });
    }
    let cookie = this.session.currentCookie();
    if (cookie === undefined) {
      try {
        cookie = await this.session.waitForCookie();
      } catch (err) {
        if (bodied) req.resume();
        return this.fail(err);
      }
    }
    let stream: OutgoingBody;
    if (bodied) {
      this.body = new ReplayableBody(req, this.deps.maxReplayBytes, this.deps.replayBudget);
      stream = this.body.stream;
    } else {
      stream = emptyBody();
    }
    this.attempt(cookie, stream);
  }

  private attempt(cookie: string, stream: OutgoingBody): void {
    if (this.res.destroyed) return;
    const { req } = this;
    const url = this.uris?.target(req.url ?? "/") ?? req.url ?? "/";
    const headers = requestHeaders(req.headers, cookie, this.deps.basePath + url);
    // With URI rewriting, a JSON body goes out through the rewriter (chunked); else as it came.
    const body = this.uris?.request(headers, stream) ?? stream;
    // The target travels in EXACT_PATH_HEADER; http-proxy gets "/" so its path work stays trivial.
    const sent = standIn(body, req, { url: "/", headers }, { method: req.method ?? "GET", cookie, events: this });
    this.current = sent.attempt;
    this.deps.send(sent.req, this.res);
  }

  /** http-proxy assigned a socket: arm the idle timeout for this attempt. */
  onProxyReq(attempt: Attempt, proxyReq: ClientRequest): void {
    attempt.proxyReq = proxyReq;
    proxyReq.setTimeout(this.deps.upstreamTimeoutMs, () => {
      attempt.timedOut = true;
      proxyReq.destroy();
    });
  }

  onResponse(attempt: Attempt, upstream: IncomingMessage): void {
    attempt.responded = true;
    if (this.cutByProxy) {
      upstream.destroy();
      return;
    }
    attempt.proxyReq?.setTimeout(0);
    const setCookie = upstream.headers["set-cookie"];
    if (setCookie !== undefined) {
      this.session.adopt(setCookie, attempt.cookie, { status: upstream.statusCode, date: upstream.headers.date });
    }
    if (upstream.statusCode === 401) {
      if (!this.retried) {
        this.onUnauthorized(attempt, upstream).catch((err: unknown) => this.fail(err));
        return;
      }
      // A replay refused too: this client gets the 401, but the session still learns that cookie is
      // dead, so the next request does not wait for a renewal timer (a 401 is classified in one place).
      this.session.reportUnauthorized(attempt.cookie).catch(() => undefined);
    }
    // An answer other than 401 means the copy will not be needed: give its memory back now.
    this.body?.release();
    try {
      this.deliver(upstream, attempt.cookie);
    } catch (err) {
      // A response Node cannot relay (say, an invalid status line) must not take the process down.
      upstream.destroy();
      this.fail(new ProxyError("API_ERROR", `the API's response cannot be relayed: ${errorMessage(err)}`));
    }
  }

  onError(attempt: Attempt, err: Error): void {
    if (attempt !== this.current || attempt.responded || this.res.headersSent || this.res.destroyed) return;
    if (attempt.timedOut) {
      return this.fail(
        new ProxyError(
          "API_TIMEOUT",
          `the API sent nothing for ${this.deps.upstreamTimeoutMs} ms (--upstream-timeout)`,
        ),
      );
    }
    const code = (err as NodeJS.ErrnoException).code;
    // A keep-alive socket the API had already closed: safe to send an idempotent request again.
    if (code === "ECONNRESET" && attempt.proxyReq?.reusedSocket && !this.retried && IDEMPOTENT.has(attempt.method)) {
      this.retry(attempt, "reset", attempt.cookie).catch((e: unknown) => this.fail(e));
      return;
    }
    const invalid = invalidResponseMessage(err, MAX_RESPONSE_HEADER_BYTES);
    if (invalid !== undefined) return this.fail(new ProxyError("API_RESPONSE_INVALID", invalid));
    const message = this.deps.describeError?.(err) ?? `cannot reach the API: ${code ? `${code} ` : ""}${err.message}`;
    this.fail(new ProxyError("API_UNREACHABLE", message));
  }

  private async onUnauthorized(attempt: Attempt, upstream: IncomingMessage): Promise<void> {
    const first = await collect(upstream, MAX_401_BODY);
    if (this.res.destroyed) return;
    this.body?.drain();
    const replay = this.body ? await this.body.replay() : emptyBody();
    if (!replay || first === undefined) {
      // Too large to send again: the client gets this 401; the next request gets a new session.
      this.session.reportUnauthorized(attempt.cookie).catch(() => undefined);
      deliverBuffered(this.res, upstream, first ?? Buffer.alloc(0), attempt.cookie);
      return;
    }
    let cookie: string;
    try {
      cookie = await this.session.reportUnauthorized(attempt.cookie);
    } catch (err) {
      return this.fail(err);
    }
    this.retried = "401";
    this.attempt(cookie, replay);
  }

  private async retry(attempt: Attempt, why: "reset", cookie: string): Promise<void> {
    this.body?.drain();
    const replay = this.body ? await this.body.replay() : emptyBody();
    if (!replay) {
      return this.fail(new ProxyError("API_UNREACHABLE", "the API closed the connection"));
    }
    this.retried = why;
    this.attempt(this.session.currentCookie() ?? cookie, replay);
  }

  /** Relays the answer to a request that carried `cookie`, which is masked out of it. */
  private deliver(upstream: IncomingMessage, cookie: string): void {
    const { res } = this;
    if (res.destroyed) {
      upstream.destroy();
      return;
    }
    res.statusCode = upstream.statusCode ?? 502;
    if (upstream.statusMessage) res.statusMessage = upstream.statusMessage;
    const headers = maskCookieHeaders(responseHeaders(upstream.headers), cookie);
    upstream.once("error", () => this.broken("the API's response broke off"));
    upstream.once("aborted", () => this.broken("the API's response broke off"));
    if (masksBody(res.statusCode, this.req.method))
      return relayMasked(upstream, headers, cookie, (b, h) => this.relay(b, h));
    this.relay(upstream, headers);
  }

  private relay(body: Readable, headers: OutgoingHttpHeaders): void {
    const { res } = this;
    if (res.destroyed) return;
    if (this.uris) return this.uris.relay(body, res, res.statusCode, headers);
    res.writeHead(res.statusCode, headers);
    body.pipe(res);
  }

  private broken(why: string): void {
    this.error = why;
    this.res.destroy();
  }

  /**
   * The drain's grace period ran out: answer 503 SHUTTING_DOWN if nothing was sent yet, else cut
   * the response, and stop the upstream request either way.
   */
  cut(err: ProxyError): void {
    if (this.finished) return;
    this.cutByProxy = true;
    this.fail(err);
    this.current?.proxyReq?.destroy();
  }

  /** Last resort for an unexpected error: answer 502 if nothing was sent yet, else cut the response. */
  abandon(err: unknown): void {
    this.fail(err);
  }

  private fail(err: unknown): void {
    const pe = err instanceof ProxyError ? err : new ProxyError("API_ERROR", errorMessage(err));
    this.error = pe.code;
    if (this.res.headersSent) this.res.destroy();
    else sendError(this.res, pe);
  }

  private closed(): void {
    if (this.finished) return;
    this.finished = true;
    this.body?.release();
    const clientAborted = !this.res.writableFinished && !this.cutByProxy;
    if (clientAborted) {
      this.current?.proxyReq?.destroy();
      this.current?.abort();
    }
    const url = this.req.url ?? "/";
    const q = url.indexOf("?");
    const record: ExchangeRecord = {
      method: this.req.method ?? "GET",
      path: q === -1 ? url : url.slice(0, q),
      // The client never got a status it hung up before (Node's default 200): log nginx's 499.
      status: clientAborted ? 499 : this.res.statusCode,
      durationMs: Math.round((performance.now() - this.started) * 10) / 10,
      retried: this.retried,
      requestId: requestIdOf(this.req),
    };
    if (this.error) record.error = this.error;
    if (clientAborted) record.clientAborted = true;
    this.deps.onDone?.(record);
  }
}
