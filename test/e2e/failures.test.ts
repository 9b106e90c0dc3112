// End to end: what clients and readiness see when the API or the credentials fail: a rejected
// password is not hammered and recovers when the file is fixed; 502, 503 and 504 carry JSON reasons.

import assert from "node:assert/strict";
import { chmod } from "node:fs/promises";
import { describe, it } from "node:test";
import { send, startStack, events, V3, PASSWORD } from "../support/stack.js";

describe("failures", () => {
  it("a wrong password fails readiness, is not hammered, and recovers when the file is fixed", async () => {
    const stack = await startStack({ passwordFile: true });
    try {
      const sim = stack.sim.simulator;
      sim.setPassword(stack.proxy.session.user, "rotated-by-admin");
      sim.revokeAll();
      const r = await send(stack.url, "GET", "/shape/", { headers: { accept: V3 } });
      assert.equal(r.status, 503);
      assert.match(r.json().message, /Incorrect username or password/);
      assert.equal(r.json().code, "NO_SESSION");

      // Three tries in all, then it stops however long we wait and however many requests come.
      for (let i = 0; i < 20; i++) {
        await stack.fake!.advance(30_000);
        await stack.proxy.session.idle();
        await send(stack.url, "GET", "/shape/", { headers: { accept: V3 } });
      }
      assert.equal(sim.counters().failedLogins, 3);
      const ready = await send(stack.url, "GET", "/-/readyz");
      assert.equal(ready.status, 503);
      assert.equal(ready.json().state, "blocked");
      assert.match(ready.json().message, /stopped after 3 rejected logins/);
      assert.match(ready.json().message, new RegExp(stack.passwordPath!.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")));
      const status = (await send(stack.url, "GET", "/-/status")).json();
      assert.equal(status.session.state, "blocked");
      assert.equal(status.session.lastError.kind, "rejected");

      await stack.setPasswordFile("rotated-by-admin\n");
      await stack.fake!.advance(2_000);
      await stack.proxy.session.idle();
      assert.equal((await send(stack.url, "GET", "/-/readyz")).status, 200);
      assert.equal((await send(stack.url, "GET", "/shape/", { headers: { accept: V3 } })).status, 200);
      assert.equal(sim.counters().failedLogins, 3);
    } finally {
      await stack.close();
    }
  });

  it("a password file made world-readable at run time stops logins with the chmod hint", async () => {
    const stack = await startStack({ passwordFile: true });
    try {
      await chmod(stack.passwordPath!, 0o644);
      stack.sim.simulator.revokeAll();
      const r = await send(stack.url, "GET", "/shape/", { headers: { accept: V3 } });
      assert.equal(r.status, 503);
      assert.match(r.json().message, /chmod 600/);
      await chmod(stack.passwordPath!, 0o600);
      await stack.fake!.advance(2_000);
      await stack.proxy.session.idle();
      assert.equal((await send(stack.url, "GET", "/shape/", { headers: { accept: V3 } })).status, 200);
    } finally {
      await stack.close();
    }
  });

  it("API errors at login back off with growing waits and recover", async () => {
    // loginWaitMs 0: requests answer 503 at once during the backoff instead of waiting for the retry.
    const stack = await startStack({ start: false, policy: { loginWaitMs: 0 } });
    try {
      stack.sim.simulator.failNext(4, { kind: "status", status: 503 });
      await stack.proxy.session.start();
      const waits: number[] = [];
      for (let i = 0; i < 4 && !stack.proxy.session.snapshot().ready; i++) {
        const next = stack.proxy.session.snapshot().next!;
        waits.push(next.at - stack.clock.now());
        const r = await send(stack.url, "GET", "/shape/");
        assert.equal(r.status, 503);
        assert.match(r.json().message, /HTTP 503.*next try in \d+ s/);
        await stack.fake!.advance(next.at - stack.clock.now());
        await stack.proxy.session.idle();
      }
      assert.equal(waits.length, 4);
      for (let i = 1; i < waits.length; i++) assert.ok(waits[i]! > waits[i - 1]!, `waits grow: ${waits.join(", ")}`);
      assert.ok(stack.proxy.session.snapshot().ready);
      assert.equal((await send(stack.url, "GET", "/shape/", { headers: { accept: V3 } })).status, 200);
    } finally {
      await stack.close();
    }
  });

  it("502 with a JSON reason when the API drops the connection", async () => {
    const stack = await startStack();
    try {
      stack.sim.simulator.failNext(1, { kind: "reset" });
      const r = await send(stack.url, "POST", "/sshkey/", {
        headers: { "content-type": V3 },
        body: JSON.stringify({ name: "/Compute-acme/jack.jones@example.com/k", key: "ssh-rsa AAAA" }),
      });
      assert.equal(r.status, 502);
      assert.equal(r.json().code, "API_UNREACHABLE");
      assert.match(r.json().message, /cannot reach the API/);
      assert.equal((await send(stack.url, "GET", "/shape/")).status, 200, "later requests still work");
    } finally {
      await stack.close();
    }
  });

  it("504 with a JSON reason when the API is silent past --upstream-timeout", async () => {
    const stack = await startStack({ proxy: { upstreamTimeoutMs: 200 } });
    try {
      stack.sim.simulator.failNext(1, { kind: "delay", ms: 5_000 });
      const r = await send(stack.url, "GET", "/shape/");
      assert.equal(r.status, 504);
      assert.equal(r.json().code, "API_TIMEOUT");
      assert.match(r.json().message, /--upstream-timeout/);
    } finally {
      await stack.close();
    }
  });

  it("HTML error pages and JSON errors from the API pass through unchanged", async () => {
    const stack = await startStack();
    try {
      stack.sim.simulator.failNext(1, { kind: "html", status: 502 });
      const html = await send(stack.url, "GET", "/shape/");
      assert.equal(html.status, 502);
      assert.match(String(html.headers["content-type"]), /html/);
      const missing = await send(stack.url, "GET", "/sshkey/Compute-acme/jack.jones@example.com/nope", {
        headers: { accept: V3 },
      });
      assert.equal(missing.status, 404);
      assert.ok(typeof missing.json().message === "string");
    } finally {
      await stack.close();
    }
  });

  it("no secret appears in the logs of a session's life", async () => {
    const stack = await startStack({ passwordFile: true, sim: { tokenTtlSeconds: 3, sessionTtlSeconds: 10 } });
    try {
      stack.sim.simulator.revokeAll();
      await send(stack.url, "GET", "/shape/", {
        headers: { accept: V3, cookie: "nimbula=client-own", authorization: "Bearer s3cret" },
      });
      for (let i = 0; i < 40; i++) {
        await stack.fake!.advance(500);
        await stack.proxy.session.idle();
      }
      const cookie = stack.proxy.session.currentCookie()!;
      const all = stack.logs.join("\n");
      assert.ok(events(stack.logs, "login").length >= 2 && events(stack.logs, "refresh").length >= 2);
      assert.ok(!all.includes(PASSWORD), "password in logs");
      assert.ok(!all.includes(cookie), "cookie in logs");
      assert.ok(!all.includes(cookie.slice(0, 24)), "cookie prefix in logs");
      assert.ok(!all.includes("s3cret"), "client Authorization in logs");
    } finally {
      await stack.close();
    }
  });
});
