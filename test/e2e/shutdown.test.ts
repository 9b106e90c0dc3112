// Graceful drain: on shutdown the proxy stops accepting new connections, requests in flight finish, and the drain is bounded by its grace period.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { events, send, startStack, V3 } from "../support/stack.js";

describe("graceful drain", () => {
  it("requests in flight finish during the drain; new connections are refused", async () => {
    const stack = await startStack();
    try {
      stack.sim.simulator.failNext(1, { kind: "delay", ms: 400 });
      const slow = send(stack.url, "GET", "/shape/", { headers: { accept: V3 }, fresh: true });
      await new Promise((r) => setTimeout(r, 100));
      const drained = stack.proxy.shutdown(5_000);
      const r = await slow;
      assert.equal(r.status, 200, "the request in flight completed");
      await drained;
      await assert.rejects(send(stack.url, "GET", "/-/healthz", { fresh: true }), /ECONNREFUSED/);
    } finally {
      await stack.sim.close();
    }
  });

  it("the drain is bounded: a request that outlives the grace period gets 503 SHUTTING_DOWN", async () => {
    const stack = await startStack();
    try {
      stack.sim.simulator.failNext(1, { kind: "delay", ms: 10_000 });
      const slow = send(stack.url, "GET", "/shape/", { fresh: true });
      await new Promise((r) => setTimeout(r, 100));
      const t0 = Date.now();
      await stack.proxy.shutdown(200);
      assert.ok(Date.now() - t0 < 5_000);
      const r = await slow;
      assert.equal(r.status, 503);
      assert.equal(r.json().code, "SHUTTING_DOWN");
      assert.match(r.json().message, /--drain-timeout/);
      const cut = events(stack.logs, "drain_cut");
      assert.equal(cut.length, 1);
      assert.equal(cut[0]!.requests, 1);
      const req = events(stack.logs, "request").find((e) => e.path === "/shape/");
      assert.equal(req?.status, 503);
      assert.equal(req?.clientAborted, undefined, "the proxy cut it, not the client");
    } finally {
      await stack.sim.close();
    }
  });
});
