// Owns the request body on its way upstream: it streams with back-pressure and, while it stays
// within the per-request replay limit and the process-wide replay budget, a copy is kept so the
// request can be sent again after a 401.

import { EventEmitter } from "node:events";
import type { IncomingMessage } from "node:http";
import { Readable, Transform, type TransformCallback } from "node:stream";

/**
 * Bytes all requests together may hold for replay: without it, many concurrent uploads just under
 * the per-request limit would add up to an unbounded amount of memory.
 */
export class ReplayBudget {
  private used = 0;

  constructor(readonly total: number) {}

  take(n: number): boolean {
    if (this.used + n > this.total) return false;
    this.used += n;
    return true;
  }

  give(n: number): void {
    this.used = Math.max(0, this.used - n);
  }

  get inUse(): number {
    return this.used;
  }
}

export class ReplayableBody {
  private chunks: Buffer[] | undefined = [];
  private size = 0;
  private readonly tee: Transform;
  private readonly done: Promise<void>;

  constructor(
    req: IncomingMessage,
    private readonly limit: number,
    private readonly budget: ReplayBudget,
  ) {
    this.tee = new Transform({ transform: (chunk: Buffer, _enc, cb: TransformCallback) => this.capture(chunk, cb) });
    this.done = new Promise<void>((resolve) => {
      this.tee.once("end", resolve);
      // Forwarding stops pulling once the first attempt is over; `end` then comes from drain().
      this.tee.once("finish", resolve);
      req.once("close", resolve);
    });
    req.pipe(this.tee);
  }

  /** The stream the first attempt sends. */
  get stream(): Readable {
    return this.tee;
  }

  /**
   * After the first attempt ended early (a 401, a reset), keeps reading the client's body so it can
   * complete, without sending it anywhere.
   */
  drain(): void {
    this.tee.unpipe();
    this.tee.resume();
  }

  /** The whole body as sent, once the client finished sending it; undefined when over the limit. */
  async replay(): Promise<Readable | undefined> {
    if (this.chunks !== undefined) await this.done;
    const chunks = this.chunks;
    if (chunks === undefined || !this.tee.writableFinished) return undefined;
    return Readable.from(chunks, { objectMode: false });
  }

  /** Gives the kept copy back to the budget; the body can no longer be replayed. */
  release(): void {
    if (this.chunks === undefined) return;
    this.chunks = undefined;
    this.budget.give(this.size);
  }

  private capture(chunk: Buffer, cb: TransformCallback): void {
    if (this.chunks !== undefined) {
      if (this.size + chunk.length > this.limit || !this.budget.take(chunk.length)) this.release();
      else {
        this.size += chunk.length;
        this.chunks.push(chunk);
      }
    }
    cb(null, chunk);
  }
}

/**
 * Whether the client declared a body (a non-zero Content-Length, or Transfer-Encoding). A request
 * without one is sent with an empty body and is always replayable; one with a body always leaves
 * with explicit framing (see requestHeaders).
 */
export function hasBody(req: IncomingMessage): boolean {
  const len = req.headers["content-length"];
  if (len !== undefined) return len !== "0";
  return req.headers["transfer-encoding"] !== undefined;
}

/**
 * The body of a request that has none: the two things http-proxy does with a request body (listen
 * for `aborted` and `error`, then `pipe` it into the upstream request) without a Readable. Its pipe
 * ends the upstream request at once. Speed over uniformity (issue 12): a Readable per bodiless
 * request cost a stream, three listeners and two ticks before the request could leave.
 */
export class EmptyBody extends EventEmitter {
  /** Ends `dest` (nothing to send) and returns it, as Readable.pipe would. */
  pipe<T extends NodeJS.WritableStream>(dest: T): T {
    dest.end();
    return dest;
  }
}

/** What an attempt sends upstream: the client's body (or its replay), or EmptyBody. */
export type OutgoingBody = Readable | EmptyBody;

export function emptyBody(): EmptyBody {
  return new EmptyBody();
}
