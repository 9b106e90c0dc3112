// Owns the request body on its way upstream: it streams with back-pressure and, while it stays
// within the replay limit, a copy is kept so the request can be sent again after a 401.

import type { IncomingMessage } from "node:http";
import { Readable, Transform, type TransformCallback } from "node:stream";

export class ReplayableBody {
  private chunks: Buffer[] | undefined = [];
  private size = 0;
  private readonly tee: Transform;
  private readonly done: Promise<void>;

  constructor(
    req: IncomingMessage,
    private readonly limit: number,
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

  private capture(chunk: Buffer, cb: TransformCallback): void {
    if (this.chunks !== undefined) {
      this.size += chunk.length;
      if (this.size > this.limit) this.chunks = undefined;
      else this.chunks.push(chunk);
    }
    cb(null, chunk);
  }
}

/** A request with no body: nothing to stream, always replayable. */
export function hasBody(req: IncomingMessage): boolean {
  const len = req.headers["content-length"];
  if (len !== undefined) return len !== "0";
  return req.headers["transfer-encoding"] !== undefined;
}

export function emptyBody(): Readable {
  return new Readable({
    read() {
      this.push(null);
    },
  });
}
