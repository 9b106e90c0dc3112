// The replayable request body: a copy is kept within the per-request limit and the process-wide
// budget, and given back when the exchange no longer needs it.

import assert from "node:assert/strict";
import type { IncomingMessage } from "node:http";
import { PassThrough, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { describe, it } from "node:test";
import { ReplayBudget, ReplayableBody } from "../../src/proxy/body.js";

function request(chunks: string[]): IncomingMessage {
  const req = new PassThrough();
  for (const c of chunks) req.write(c);
  req.end();
  return req as unknown as IncomingMessage;
}

async function drain(body: ReplayableBody): Promise<string> {
  let out = "";
  await pipeline(body.stream, new Writable({ write: (c: Buffer, _e, cb) => ((out += c.toString()), cb()) }));
  return out;
}

async function text(r: NodeJS.ReadableStream | undefined): Promise<string | undefined> {
  if (!r) return undefined;
  let out = "";
  for await (const c of r) out += (c as Buffer).toString();
  return out;
}

describe("ReplayableBody", () => {
  it("streams the body and keeps a copy to send again", async () => {
    const budget = new ReplayBudget(1024);
    const body = new ReplayableBody(request(["hello ", "world"]), 100, budget);
    assert.equal(await drain(body), "hello world");
    assert.equal(await text(await body.replay()), "hello world");
    assert.equal(budget.inUse, 11);
    body.release();
    assert.equal(budget.inUse, 0);
    assert.equal(await body.replay(), undefined, "released: no longer replayable");
  });

  it("a body over the per-request limit streams through but is not kept", async () => {
    const budget = new ReplayBudget(1024);
    const body = new ReplayableBody(request(["0123456789", "0123456789"]), 15, budget);
    assert.equal(await drain(body), "01234567890123456789");
    assert.equal(await body.replay(), undefined);
    assert.equal(budget.inUse, 0, "what was kept before the limit was given back");
  });

  it("when the process-wide budget is spent, further bodies are not kept", async () => {
    const budget = new ReplayBudget(15);
    const a = new ReplayableBody(request(["0123456789"]), 100, budget);
    await drain(a);
    const b = new ReplayableBody(request(["0123456789"]), 100, budget);
    assert.equal(await drain(b), "0123456789", "it still streams");
    assert.equal(await b.replay(), undefined);
    assert.equal(budget.inUse, 10);
    a.release();
    const c = new ReplayableBody(request(["abc"]), 100, budget);
    await drain(c);
    assert.equal(await text(await c.replay()), "abc");
  });
});
