// Server limits chosen on purpose: a request head must arrive in time (slow-loris gets 408), a
// connection on which nothing moves is closed, and no timeout cuts an upload or download that
// keeps moving, however long it takes. Limits are shortened here so real waits stay short.

import assert from "node:assert/strict";
import http from "node:http";
import { after, before, describe, it } from "node:test";
import { limitsFor, DEFAULT_LIMITS } from "../../src/http/server.js";
import { send, V3 } from "../support/stack.js";
import { startFakeApi, type FakeApi } from "./support/fake-api.js";
import { startProxy, type TestProxy } from "./support/proxy.js";
import { json, raw } from "./support/raw.js";

const SHORT = { headersTimeoutMs: 300, idleTimeoutMs: 500, connectionsCheckingIntervalMs: 50 };

describe("limits by default", () => {
  it("never cut a whole request, and keep clients waiting on the API longer than the API may take", () => {
    assert.equal(DEFAULT_LIMITS.maxHeaderBytes, 32 * 1024);
    assert.ok(DEFAULT_LIMITS.headersTimeoutMs <= 30_000);
    for (const upstream of [1_000, 60_000, 600_000]) {
      const l = limitsFor(upstream);
      assert.ok(l.idleTimeoutMs > 2 * upstream + 30_000, `idle ${l.idleTimeoutMs} for --upstream-timeout ${upstream}`);
    }
    assert.equal(limitsFor(60_000, { headersTimeoutMs: 5 }).headersTimeoutMs, 5);
  });
});

describe("slow clients", () => {
  let api: FakeApi;
  let p: TestProxy;
  before(async () => {
    api = await startFakeApi();
    api.handler = (req, res) => {
      if (req.url === "/upload") {
        let size = 0;
        req.on("data", (c: Buffer) => (size += c.length));
        req.on("end", () => {
          const body = JSON.stringify({ size });
          res
            .writeHead(201, { "content-type": "application/json", "content-length": Buffer.byteLength(body) })
            .end(body);
        });
        return;
      }
      if (req.url === "/download") {
        res.writeHead(200, { "content-type": "application/octet-stream" });
        let n = 0;
        const timer = setInterval(() => {
          res.write(Buffer.alloc(1000, 97));
          if (++n === 15) {
            clearInterval(timer);
            res.end();
          }
        }, 100);
        res.on("close", () => clearInterval(timer));
        return;
      }
      return false;
    };
    p = await startProxy(api.url, { serverLimits: SHORT });
  });
  after(async () => {
    await p.close();
    await api.close();
  });

  it("answers a head that never completes with 408 and closes, while others are served", async () => {
    const slow = raw(p.port, "GET /shape/ HTTP/1.1\r\nHost: localhost\r\nX-Slow: 1", { timeoutMs: 3_000 });
    assert.equal((await send(p.url, "GET", "/shape/", { headers: { accept: V3 } })).status, 200);
    const r = await slow;
    assert.equal(r.status, 408);
    assert.equal(r.closed, true);
    assert.match(json(r).message, /did not arrive in time/);
    assert.ok(r.elapsedMs < 2_000, `took ${r.elapsedMs} ms`);
  });

  it("answers a head dribbled one line at a time with 408 too (the timeout is for the whole head)", async () => {
    const lines = Array.from({ length: 30 }, (_, i) => `X-Drip-${i}: 1\r\n`);
    const r = await raw(p.port, "GET /shape/ HTTP/1.1\r\nHost: localhost\r\n", {
      more: lines,
      gapMs: 50,
      timeoutMs: 3_000,
    });
    assert.equal(r.status, 408);
    assert.equal(r.closed, true);
  });

  it("closes a connection whose body stalls", async () => {
    const head =
      "POST /upload HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/octet-stream\r\nContent-Length: 1000\r\n\r\n";
    const r = await raw(p.port, `${head}0123456789`, { timeoutMs: 3_000 });
    assert.equal(r.closed, true, "the server closed the stalled connection");
    assert.ok(r.elapsedMs >= 400 && r.elapsedMs < 2_500, `took ${r.elapsedMs} ms`);
    assert.equal((await send(p.url, "GET", "/shape/", { headers: { accept: V3 } })).status, 200);
  });

  it("lets an upload that keeps moving run far past every timeout", async () => {
    const chunks = Array.from({ length: 15 }, () => `3e8\r\n${"b".repeat(1000)}\r\n`);
    const head =
      "POST /upload HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\n\r\n";
    const r = await raw(p.port, head, {
      more: [...chunks, "0\r\n\r\n"],
      gapMs: 100,
      timeoutMs: 5_000,
      untilResponse: true,
    });
    assert.equal(r.status, 201, r.raw.slice(0, 300));
    assert.deepEqual(JSON.parse(r.body), { size: 15_000 });
  });

  it("lets a download that keeps moving run far past every timeout", async () => {
    const started = Date.now();
    const got = await new Promise<number>((resolve, reject) => {
      const u = new URL(p.url);
      http
        .get({ host: u.hostname, port: u.port, path: "/download", agent: false }, (res) => {
          let size = 0;
          res.on("data", (c: Buffer) => (size += c.length));
          res.on("end", () => resolve(size));
          res.on("aborted", () => reject(new Error("the download was cut")));
        })
        .on("error", reject);
    });
    assert.equal(got, 15_000);
    assert.ok(Date.now() - started > SHORT.idleTimeoutMs * 2, "the download outlasted the idle timeout");
  });
});
