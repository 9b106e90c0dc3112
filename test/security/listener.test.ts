// The listener's boundary, end to end over raw sockets in front of the simulator: Host allow-list,
// browser refusals, absolute-form targets and CONNECT are answered with JSON and never reach the
// API; the probes are exempt from the Host check; the unix socket is owner-only.

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import http from "node:http";
import { mkdir, mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { Hono } from "hono";
import type { App } from "../../src/http/app.js";
import { listen } from "../../src/http/server.js";
import { startStack, V3, type Stack } from "../support/stack.js";
import { get, json, raw } from "./support/raw.js";

let stack: Stack;
let port: number;
const apiRequests = () => stack.sim.simulator.counters().requests;

before(async () => {
  stack = await startStack({ proxy: { allowHosts: ["opc-proxy"], allowOrigins: ["http://localhost:3000"] } });
  port = Number(new URL(stack.url).port);
});
after(() => stack.close());

/** Sends `data` and asserts the JSON refusal, that the API saw nothing, and that a normal request still works. */
async function refused(data: string, status: number, code: string, mentions?: RegExp) {
  const before = apiRequests();
  const r = await raw(port, data, { untilResponse: true });
  assert.equal(r.status, status, r.raw.slice(0, 300));
  const body = json(r);
  assert.equal(body.code, code);
  if (mentions) assert.match(body.message, mentions);
  assert.equal(r.headers["content-type"], "application/json");
  assert.equal(apiRequests(), before, "the request must not reach the API");
  const ok = await raw(port, get("/shape/", `127.0.0.1:${port}`, [`Accept: ${V3}`]), { untilResponse: true });
  assert.equal(ok.status, 200);
  return body;
}

describe("Host allow-list (DNS rebinding)", () => {
  it("forwards with the loopback names and --allow-host names, on any port", async () => {
    for (const host of ["localhost", `127.0.0.1:${port}`, `localhost:${port}`, "opc-proxy:8080", "[::1]:1"]) {
      const r = await raw(port, get("/shape/", host, [`Accept: ${V3}`]), { untilResponse: true });
      assert.equal(r.status, 200, host);
    }
  });
  it("refuses other names with 403 naming --allow-host", async () => {
    for (const host of [
      "localhost.evil.example",
      "127.0.0.1.nip.io",
      `127.0.0.1.nip.io:${port}`,
      "opc-proxy.evil.example",
      "attacker.example",
    ]) {
      const body = await refused(get("/shape/", host), 403, "FORBIDDEN_HOST", /--allow-host/);
      assert.match(body.message, new RegExp(host.split(":")[0]!.replace(/\./g, "\\.")));
    }
  });
  it("refuses a missing Host (HTTP/1.1 and 1.0) and a bare IPv6 Host with 400", async () => {
    await refused(get("/shape/", undefined), 400, "BAD_REQUEST", /Host header is required/);
    await refused("GET /shape/ HTTP/1.0\r\n\r\n", 400, "BAD_REQUEST", /Host/);
    await refused(get("/shape/", "::1"), 400, "BAD_REQUEST", /Host header/);
  });
  it("refuses two Host headers with 400, whichever comes first", async () => {
    await refused(
      `GET /shape/ HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nHost: attacker.example\r\n\r\n`,
      400,
      "BAD_REQUEST",
      /more than one Host/,
    );
    await refused(
      `GET /shape/ HTTP/1.1\r\nHost: attacker.example\r\nhost: 127.0.0.1\r\n\r\n`,
      400,
      "BAD_REQUEST",
      /more than one Host/,
    );
  });
  it("guards /-/status and /-/metrics too, but lets Kubernetes probes reach /-/healthz and /-/readyz", async () => {
    const probe = "10.244.1.7:8080";
    await refused(get("/-/status", probe), 403, "FORBIDDEN_HOST");
    await refused(get("/-/metrics", probe), 403, "FORBIDDEN_HOST");
    assert.equal((await raw(port, get("/-/healthz", probe), { untilResponse: true })).status, 200);
    assert.equal((await raw(port, get("/-/readyz", probe), { untilResponse: true })).status, 200);
  });
});

describe("browser requests", () => {
  it("refuses a foreign Origin, cross-site and same-site fetches, and preflights", async () => {
    const host = `127.0.0.1:${port}`;
    const post = (extra: string[]) =>
      [
        `POST /sshkey/Compute-acme/ HTTP/1.1`,
        `Host: ${host}`,
        "Content-Type: text/plain",
        "Content-Length: 2",
        ...extra,
        "",
        "{}",
      ].join("\r\n");
    await refused(post(["Origin: https://evil.example"]), 403, "FORBIDDEN_ORIGIN", /--allow-origin/);
    await refused(post(["Origin: null"]), 403, "FORBIDDEN_ORIGIN");
    await refused(
      get("/shape/", host, ["Sec-Fetch-Site: cross-site", "Sec-Fetch-Mode: navigate"]),
      403,
      "FORBIDDEN_ORIGIN",
    );
    await refused(get("/shape/", host, ["Sec-Fetch-Site: same-site"]), 403, "FORBIDDEN_ORIGIN");
    await refused(
      get(
        "/sshkey/Compute-acme/",
        host,
        ["Origin: http://localhost:3000", "Access-Control-Request-Method: DELETE"],
        "OPTIONS",
      ),
      403,
      "FORBIDDEN_ORIGIN",
      /preflight/,
    );
    // A cross-site page may probe liveness: it learns nothing, and gets no CORS header to read it with.
    const r = await raw(port, get("/-/status", host, ["Origin: https://evil.example"]), { untilResponse: true });
    assert.equal(r.status, 403);
    assert.equal(r.headers["access-control-allow-origin"], undefined);
  });
  it("forwards an allowed Origin and a request typed into the address bar", async () => {
    const host = `127.0.0.1:${port}`;
    for (const extra of [
      ["Origin: http://localhost:3000"],
      ["Sec-Fetch-Site: none"],
      ["Sec-Fetch-Site: same-origin"],
    ]) {
      const r = await raw(port, get("/shape/", host, [`Accept: ${V3}`, ...extra]), { untilResponse: true });
      assert.equal(r.status, 200, extra.join());
      assert.equal(r.headers["access-control-allow-origin"], undefined);
    }
  });
});

describe("never a forward proxy", () => {
  it("refuses absolute-form targets naming another host, the API included", async () => {
    const api = new URL(stack.sim.url);
    const targets = [
      "http://evil.example/shape/",
      `${api.origin}/shape/`,
      `http://localhost:${api.port}/shape/`,
      `http://localhost.evil.example:${port}/shape/`,
      `http://user:pw@localhost:${port}/shape/`,
    ];
    for (const target of targets) {
      await refused(
        `GET ${target} HTTP/1.1\r\nHost: localhost\r\n\r\n`,
        403,
        "FORBIDDEN_TARGET",
        /not a forward proxy/,
      );
    }
  });
  it("treats absolute-form naming the proxy itself as the path, byte for byte", async () => {
    const r = await raw(
      port,
      `GET http://127.0.0.1:${port}/shape/ HTTP/1.1\r\nHost: evil.example\r\nAccept: ${V3}\r\n\r\n`,
      { untilResponse: true },
    );
    assert.equal(r.status, 200);
    assert.ok(Array.isArray(JSON.parse(r.body).result));
    const status = await raw(port, `GET http://localhost:${port}/-/status HTTP/1.1\r\n\r\n`, { untilResponse: true });
    assert.equal(status.status, 200);
  });
  it("answers CONNECT with 405 and closes, for any target", async () => {
    const api = new URL(stack.sim.url);
    for (const target of ["evil.example:443", `${api.host}`, `127.0.0.1:${port}`]) {
      const before = apiRequests();
      const r = await raw(port, `CONNECT ${target} HTTP/1.1\r\nHost: ${target}\r\n\r\n`);
      assert.equal(r.status, 405);
      assert.equal(r.closed, true);
      assert.equal(json(r).code, "FORBIDDEN_TARGET");
      assert.match(json(r).message, /CONNECT refused/);
      assert.equal(apiRequests(), before);
    }
  });
  it("refuses TRACE, which would echo the managed cookie back", async () => {
    const r = await refused(get("/shape/", "localhost", [], "TRACE"), 405, "BAD_REQUEST");
    assert.match(r.message, /TRACE is not forwarded/);
  });
});

describe("IPv6 loopback listener", () => {
  it("accepts Host [::1]:port and refuses other names", async (t) => {
    let v6: Stack;
    try {
      v6 = await startStack({ proxy: { listen: { kind: "tcp", host: "::1", port: 0 }, listenText: "[::1]:0" } });
    } catch (err) {
      t.skip(`no IPv6 loopback here: ${(err as Error).message}`);
      return;
    }
    try {
      const p = Number(new URL(v6.url).port);
      const ok = await raw(p, get("/shape/", `[::1]:${p}`, [`Accept: ${V3}`]), { untilResponse: true }, "::1");
      assert.equal(ok.status, 200);
      const bad = await raw(p, get("/shape/", `[::2]:${p}`), { untilResponse: true }, "::1");
      assert.equal(bad.status, 403);
    } finally {
      await v6.close();
    }
  });
});

describe("unix socket", () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "opc-sock-"));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  const overSocket = (path: string, url: string) =>
    new Promise<number>((resolve, reject) => {
      http
        .get({ socketPath: path, path: url, headers: { host: "localhost", accept: V3 } }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        })
        .on("error", reject);
    });

  it("is created with mode 0600 and serves requests", async () => {
    const path = join(dir, "a.sock");
    const s = await startStack({ proxy: { listen: { kind: "unix", path }, listenText: `unix:${path}` } });
    try {
      assert.equal((await stat(path)).mode & 0o777, 0o600);
      assert.equal(await overSocket(path, "/shape/"), 200);
    } finally {
      await s.close();
    }
  });

  it("replaces a stale socket left by a killed process", async () => {
    const path = join(dir, "stale.sock");
    const child = spawn(process.execPath, [
      "-e",
      `require("net").createServer().listen(${JSON.stringify(path)}, () => process.kill(process.pid, "SIGKILL"))`,
    ]);
    await once(child, "exit");
    assert.ok((await stat(path)).isSocket(), "the killed process left its socket file");
    const s = await startStack({ proxy: { listen: { kind: "unix", path }, listenText: `unix:${path}` } });
    try {
      assert.equal(await overSocket(path, "/shape/"), 200);
    } finally {
      await s.close();
    }
  });

  it("never replaces a regular file, a directory, or a socket someone listens on", async () => {
    const app = new Hono() as unknown as App;
    const file = join(dir, "file.sock");
    await writeFile(file, "keep me");
    await assert.rejects(listen(app, { kind: "unix", path: file }), /is not a socket/);
    assert.equal((await stat(file)).isFile(), true);
    const sub = join(dir, "dir.sock");
    await mkdir(sub);
    await assert.rejects(listen(app, { kind: "unix", path: sub }), /is not a socket/);
    const live = join(dir, "live.sock");
    const first = await startStack({ proxy: { listen: { kind: "unix", path: live }, listenText: `unix:${live}` } });
    try {
      await assert.rejects(listen(app, { kind: "unix", path: live }), /another process is listening/);
      assert.equal(await overSocket(live, "/shape/"), 200);
    } finally {
      await first.close();
    }
  });
});
