// Errors that escape every handler: a bug gets a generic 500 with a request id and one log line
// (method, path, the whole error); a ProxyError gets its own status; nothing internal reaches the client.

import assert from "node:assert/strict";
import type { IncomingMessage, ServerResponse } from "node:http";
import { describe, it } from "node:test";
import { Registry } from "prom-client";
import { systemClock } from "../../src/clock.js";
import { ProxyError } from "../../src/errors.js";
import { createApp } from "../../src/http/app.js";
import { requestErrorResponse } from "../../src/http/socket-replies.js";
import { createLogger } from "../../src/log.js";
import type { SessionSnapshot } from "../../src/session/events.js";
import { logSink } from "../support/settings.js";

function appThrowing(err: unknown) {
  const sink = logSink();
  const app = createApp({
    forward: Object.assign(() => Promise.reject(err), { cutAll: () => 0 }),
    snapshot: () => ({}) as SessionSnapshot,
    facts: () => ({ version: "test", api: "http://127.0.0.1:1", listen: "127.0.0.1:0", startedAt: 0, draining: false }),
    registry: new Registry(),
    clock: systemClock,
    log: createLogger("info", sink.stream),
  });
  const fetch = (target: string) =>
    app.request(
      target,
      { method: "POST" },
      {
        incoming: { url: target, headers: {} } as IncomingMessage,
        outgoing: {} as ServerResponse,
      },
    );
  return { fetch, lines: sink.lines };
}

describe("app.onError", () => {
  it("answers a bug with a generic 500 and a request id, and logs the whole error once", async () => {
    const { fetch, lines } = appThrowing(new TypeError("cannot read properties of undefined (reading 'held')"));
    const res = await fetch("/instance/Compute-acme/?token=abc");
    assert.equal(res.status, 500);
    const text = await res.text();
    const body = JSON.parse(text) as { message: string; code: string; requestId: string };
    assert.equal(body.message, "internal error");
    assert.equal(body.code, "INTERNAL");
    assert.match(body.requestId, /^[0-9a-f]{12}$/);
    assert.doesNotMatch(text, /held|TypeError/, "no internal detail reaches the client");

    const logged = lines.map((l) => JSON.parse(l) as Record<string, any>).filter((l) => l.event === "internal_error");
    assert.equal(logged.length, 1, "logged exactly once");
    const line = logged[0]!;
    assert.equal(line.level, "error");
    assert.equal(line.requestId, body.requestId);
    assert.equal(line.method, "POST");
    assert.equal(line.path, "/instance/Compute-acme/", "the path without its query");
    assert.match(line.err.message, /reading 'held'/);
    assert.match(line.err.stack, /TypeError/);
  });

  it("answers a ProxyError with its mapped status and message, and logs nothing", async () => {
    const { fetch, lines } = appThrowing(new ProxyError("API_TIMEOUT", "the API sent nothing for 30000 ms"));
    const res = await fetch("/shape/");
    assert.equal(res.status, 504);
    assert.deepEqual(await res.json(), { message: "the API sent nothing for 30000 ms", code: "API_TIMEOUT" });
    assert.equal(lines.filter((l) => l.includes("internal_error")).length, 0);
  });
});

describe("the socket-level error reply", () => {
  it("answers a bug with a generic 500 and logs it once", async () => {
    const sink = logSink();
    const res = requestErrorResponse(new RangeError("offset out of range"), createLogger("info", sink.stream));
    assert.equal(res.status, 500);
    const body = (await res.json()) as { message: string; code: string; requestId: string };
    assert.equal(body.message, "internal error");
    assert.equal(body.code, "INTERNAL");
    const logged = sink.lines.filter((l) => l.includes('"internal_error"'));
    assert.equal(logged.length, 1);
    assert.match(logged[0]!, new RegExp(body.requestId));
    assert.match(logged[0]!, /offset out of range/);
  });

  it("still answers a request it cannot parse with 400 BAD_REQUEST", async () => {
    const err = Object.assign(new Error("Missing host header"), { name: "RequestError" });
    const res = requestErrorResponse(err);
    assert.equal(res.status, 400);
    assert.deepEqual(await res.json(), { message: "a Host header is required", code: "BAD_REQUEST" });
  });
});
