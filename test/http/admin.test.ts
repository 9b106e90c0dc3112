// The admin listener (--admin-listen) against a loopback-only proxy: probes, metrics and status
// answer there under the pod IP's Host, nothing is ever forwarded from it, browsers are refused,
// it closes with the proxy, and a failed bind leaves nothing listening.

import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { startStack, send, V3, type Stack } from "../support/stack.js";

/** Kubelet's httpGet and Prometheus name the pod IP (and port) in Host. */
const POD_HOST = "10.244.1.17:9090";

describe("admin listener", () => {
  let stack: Stack;
  let admin: string;
  before(async () => {
    stack = await startStack({ proxy: { adminListen: { kind: "tcp", host: "127.0.0.1", port: 0 } } });
    admin = stack.proxy.admin!.url;
  });
  after(() => stack.close());

  const probes = [
    { name: "liveness", path: "/-/healthz", status: 200, body: /"status":"ok"/ },
    { name: "readiness", path: "/-/readyz", status: 200, body: /"status":"ready"/ },
    { name: "status", path: "/-/status", status: 200, body: /"state":"ready"/ },
    { name: "metrics", path: "/-/metrics", status: 200, body: /^opc_auth_proxy_session_ready 1$/m },
  ];
  for (const row of probes) {
    it(`answers ${row.name} (${row.path}) with Host: <pod IP>`, async () => {
      const r = await send(admin, "GET", row.path, { headers: { host: POD_HOST } });
      assert.equal(r.status, row.status, r.text);
      assert.match(r.text, row.body);
    });
  }

  it("listens apart from the proxy, which stays on its own loopback port", () => {
    assert.notEqual(admin, stack.url);
    assert.match(admin, /^http:\/\/127\.0\.0\.1:\d+$/);
  });

  const notForwarded = [
    { name: "an API path", method: "GET", path: "/shape/" },
    { name: "a login", method: "POST", path: "/authenticate/" },
    { name: "a refresh", method: "GET", path: "/refresh/" },
    { name: "a path that normalises to a control one", method: "GET", path: "/x/../-/status" },
  ];
  for (const row of notForwarded) {
    it(`never forwards ${row.name}: 404, and the API sees nothing`, async () => {
      const before = stack.sim.simulator.counters().requests;
      const r = await send(admin, row.method, row.path, { headers: { host: POD_HOST, accept: V3 } });
      assert.equal(r.status, 404, r.text);
      assert.equal(r.json().code, "BAD_REQUEST");
      assert.match(r.json().message, /admin listener .* never forwards/);
      assert.match(r.json().message, /status page \(\/-\/, \/-\/events, \/-\/assets\/\*\)/);
      assert.equal(r.json().requestId, r.headers["x-request-id"]);
      assert.equal(stack.sim.simulator.counters().requests, before, "nothing reached the API");
    });
  }

  const refused = [
    { name: "a DNS name (rebinding)", headers: { host: "attacker.example:9090" }, status: 403, code: "FORBIDDEN_HOST" },
    {
      name: "a foreign Origin",
      headers: { host: POD_HOST, origin: "https://attacker.example" },
      status: 403,
      code: "FORBIDDEN_ORIGIN",
    },
    {
      name: "Sec-Fetch-Site: cross-site",
      headers: { host: POD_HOST, "sec-fetch-site": "cross-site" },
      status: 403,
      code: "FORBIDDEN_ORIGIN",
    },
  ];
  for (const row of refused) {
    it(`refuses ${row.name} with ${row.code}, even for /-/status`, async () => {
      const r = await send(admin, "GET", "/-/status", { headers: row.headers });
      assert.equal(r.status, row.status, r.text);
      assert.equal(r.json().code, row.code);
    });
  }

  it("leaves the proxy's listener as it was: it forwards, and still refuses the pod IP as Host", async () => {
    const ok = await send(stack.url, "GET", "/shape/", { headers: { accept: V3 } });
    assert.equal(ok.status, 200);
    const pod = await send(stack.url, "GET", "/shape/", { headers: { host: POD_HOST, accept: V3 } });
    assert.equal(pod.status, 403);
    assert.equal(pod.json().code, "FORBIDDEN_HOST");
  });
});

describe("admin listener life", () => {
  it("reports draining on readiness for the whole drain, then closes with the proxy", async () => {
    const stack = await startStack({ proxy: { adminListen: { kind: "tcp", host: "127.0.0.1", port: 0 } } });
    const admin = stack.proxy.admin!.url;
    // A request held upstream keeps the drain open until this test lets go of it.
    stack.sim.simulator.failNext(1, { kind: "delay", ms: 60_000 });
    const seen = stack.sim.simulator.counters().requests;
    const held = http.get(`${stack.url}/shape/`, { agent: false });
    held.on("error", () => undefined);
    for (let i = 0; i < 500 && stack.sim.simulator.counters().requests === seen; i++) {
      await new Promise((r) => setTimeout(r, 10));
    }
    const drained = stack.proxy.shutdown(30_000);
    try {
      const ready = await send(admin, "GET", "/-/readyz", { fresh: true });
      assert.equal(ready.status, 503);
      assert.equal(ready.json().code, "SHUTTING_DOWN");
    } finally {
      held.destroy();
      await drained;
      await stack.sim.close();
    }
    await assert.rejects(send(admin, "GET", "/-/healthz", { fresh: true }), /ECONNREFUSED/);
  });

  it("a failed bind of the admin listener fails the start, naming --admin-listen, and frees the proxy's port", async () => {
    const taken = http.createServer();
    await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
    const port = (taken.address() as AddressInfo).port;
    // A fixed free port for the proxy, so the test can check it is free again afterwards.
    const probe = http.createServer();
    await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
    const proxyPort = (probe.address() as AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    try {
      await assert.rejects(
        startStack({
          proxy: {
            listen: { kind: "tcp", host: "127.0.0.1", port: proxyPort },
            adminListen: { kind: "tcp", host: "127.0.0.1", port },
          },
        }),
        (err: Error & { code?: string }) =>
          err.code === "LISTEN_FAILED" &&
          err.message.includes(`--admin-listen 127.0.0.1:${port}: the address is already in use`) &&
          err.message.includes("OPC_PROXY_ADMIN_LISTEN"),
      );
      await assert.rejects(send(`http://127.0.0.1:${proxyPort}`, "GET", "/-/healthz", { fresh: true }), /ECONNREFUSED/);
    } finally {
      await new Promise<void>((resolve) => taken.close(() => resolve()));
    }
  });
});
