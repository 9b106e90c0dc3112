// The connection to the API honours HTTPS_PROXY, HTTP_PROXY and NO_PROXY as corporate networks set
// them: CONNECT tunnels for an https API, forwarding for an http one, keep-alive and exact paths
// kept, proxy credentials sent to the proxy and never logged. All on 127.0.0.1, no network.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import fc from "fast-check";
import { ProxyError } from "../../src/errors.js";
import { bypassesProxy, routeFor } from "../../src/upstream/proxy-env.js";
import { send, V3 } from "../support/stack.js";
import { selfSigned, type TestCert } from "./support/certs.js";
import { startCorpProxy } from "./support/corp-proxy.js";
import { startFakeApi } from "./support/fake-api.js";
import { PASSWORD, startProxy } from "./support/proxy.js";

const PROXY_SECRET = "pr0xy-pa55-SECRET";

describe("choosing the route from the environment", () => {
  const https = new URL("https://compute.uscom-central-1.oraclecloud.com");
  const http = new URL("http://compute.internal.example:8080");
  it("uses HTTPS_PROXY for an https API and HTTP_PROXY for an http one, lowercase first", () => {
    const env = { HTTPS_PROXY: "http://upper:3128", https_proxy: "http://lower:3128", HTTP_PROXY: "http://plain:3128" };
    const r = routeFor(https, env);
    assert.equal(r.kind === "proxy" && r.display, "http://lower:3128");
    assert.equal(r.kind === "proxy" && r.from, "https_proxy");
    const h = routeFor(http, env);
    assert.equal(h.kind === "proxy" && h.display, "http://plain:3128");
    assert.deepEqual(routeFor(https, { HTTP_PROXY: "http://plain:3128" }), { kind: "direct" });
    assert.deepEqual(routeFor(https, { HTTPS_PROXY: "" }), { kind: "direct" });
  });
  it("reads a proxy without scheme as http://, and never shows its userinfo", () => {
    const r = routeFor(https, { HTTPS_PROXY: `user:${PROXY_SECRET}@proxy.corp:3128` });
    assert.equal(r.kind, "proxy");
    if (r.kind !== "proxy") return;
    assert.equal(r.display, "http://proxy.corp:3128");
    assert.equal(r.url.password, PROXY_SECRET);
  });
  it("refuses socks and malformed proxy URLs with a message naming the variable, not its value", () => {
    for (const value of ["socks5://proxy:1080", "http://", `http://user:${PROXY_SECRET}@[bad`]) {
      assert.throws(
        () => routeFor(https, { HTTPS_PROXY: value }),
        (err: unknown) =>
          err instanceof ProxyError &&
          err.code === "CONFIG_INVALID" &&
          /HTTPS_PROXY/.test(err.message) &&
          !err.message.includes(PROXY_SECRET),
        value,
      );
    }
  });
  it("never proxies a loopback API (the built-in simulator), and says why", () => {
    for (const api of ["http://127.0.0.1:8081", "http://localhost:8081", "https://[::1]:8443", "http://127.9.9.9"]) {
      const r = routeFor(new URL(api), { HTTPS_PROXY: "http://proxy:3128", HTTP_PROXY: "http://proxy:3128" });
      assert.equal(r.kind, "direct", api);
      assert.match(r.kind === "direct" ? (r.why ?? "") : "", /loopback/);
    }
  });
  it("honours NO_PROXY: names and subdomains, leading dots and *., ports, IPs, CIDR, *", () => {
    const host = "compute.uscom-central-1.oraclecloud.com";
    const yes = [
      "*",
      "oraclecloud.com",
      ".oraclecloud.com",
      "*.oraclecloud.com",
      host,
      `${host}:443`,
      "ORACLECLOUD.COM",
      "a.example, oraclecloud.com",
      "a.example oraclecloud.com",
    ];
    const no = [
      "",
      "cloud.com",
      "racle.com",
      "oraclecloud.com.evil",
      `${host}:8443`,
      "example.com",
      "10.0.0.0/8",
      "*.example.com",
    ];
    for (const n of yes) assert.equal(bypassesProxy(host, 443, n), true, `NO_PROXY=${n}`);
    for (const n of no) assert.equal(bypassesProxy(host, 443, n), false, `NO_PROXY=${n}`);
    assert.equal(bypassesProxy("10.1.2.3", 443, "10.0.0.0/8"), true);
    assert.equal(bypassesProxy("10.1.2.3", 443, "10.1.2.3"), true);
    assert.equal(bypassesProxy("10.1.2.3", 443, "0.2.3"), false);
    assert.equal(bypassesProxy("10.1.2.3", 443, "11.0.0.0/8"), false);
    assert.equal(bypassesProxy("fd00::1", 443, "[fd00::1]:443"), true);
    assert.equal(bypassesProxy("fd00::1", 443, "fd00::/8"), true);
    assert.equal(bypassesProxy("fd00::1", 443, "[fd00::1]:80"), false);
    const direct = routeFor(https, { HTTPS_PROXY: "http://proxy:3128", no_proxy: ".oraclecloud.com" });
    assert.equal(direct.kind, "direct");
    assert.match(direct.kind === "direct" ? (direct.why ?? "") : "", /no_proxy matches/);
  });
  it("property: NO_PROXY matching never throws, and a list holding the host or * always matches", () => {
    const entry = fc.oneof(
      fc.string({ maxLength: 20 }),
      fc.domain(),
      fc.ipV4(),
      fc.ipV6(),
      fc.constantFrom("*", ".", "*.", "[", "]:", "/", "::/0"),
    );
    fc.assert(
      fc.property(
        fc.oneof(fc.domain(), fc.ipV4()),
        fc.integer({ min: 1, max: 65535 }),
        fc.array(entry, { maxLength: 6 }),
        (host, port, entries) => {
          const list = entries.join(",");
          bypassesProxy(host, port, list);
          assert.equal(bypassesProxy(host, port, `${list},${host}`), true);
          assert.equal(bypassesProxy(host, port, `${list} *`), true);
        },
      ),
      { numRuns: 1000 },
    );
  });
});

describe("an https API through a CONNECT proxy", () => {
  let cert: TestCert;
  before(async () => {
    cert = await selfSigned({ dns: ["api.test.invalid"], ip: ["127.0.0.1"] });
  });
  after(() => cert.dispose());

  it("tunnels login and requests, reuses the tunnel, keeps paths exact, and logs the proxy without its password", async () => {
    const api = await startFakeApi({ tls: { key: cert.key, cert: cert.cert } });
    const corp = await startCorpProxy(api.port);
    const env = {
      HTTPS_PROXY: `http://opc:${PROXY_SECRET}@127.0.0.1:${corp.port}`,
      NO_PROXY: "localhost,.internal.example",
    };
    const p = await startProxy(`https://api.test.invalid:${api.port}`, { env, settings: { ca: cert.cert } });
    try {
      assert.equal(p.proxy.session.snapshot().ready, true, JSON.stringify(p.proxy.session.snapshot()));
      const paths = [
        "/sshkey/Compute-acme/",
        "/sshkey/Compute-acme",
        "/sshkey/Compute-acme//jack%40example.com/k1",
        "//evil.example/x",
        "/a/%2e%2e/b",
      ];
      for (const path of paths) {
        const r = await send(p.url, "GET", path, { headers: { accept: V3 } });
        assert.equal(r.status, 200, path);
      }
      assert.deepEqual(
        api.requests.slice(1).map((r) => r.url),
        paths,
      );
      assert.equal(api.requests[0]!.url, "/authenticate/");
      // One tunnel for the proxy's own login, one reused by every forwarded request.
      assert.equal(corp.tunnels.length, 2, `tunnels: ${corp.tunnels.length}`);
      for (const t of corp.tunnels) {
        assert.equal(t.target, `api.test.invalid:${api.port}`);
        assert.equal(t.auth, `Basic ${Buffer.from(`opc:${PROXY_SECRET}`).toString("base64")}`);
      }
      // TLS runs inside the tunnel: the API saw the cookie, the proxy only ever saw CONNECT.
      assert.equal(corp.forwarded.length, 0);
      const route = p.logs.map((l) => JSON.parse(l) as Record<string, unknown>).find((e) => e.event === "api_route");
      assert.equal(route?.proxy, `http://127.0.0.1:${corp.port}`);
      assert.equal(route?.from, "HTTPS_PROXY");
      const all = p.logs.join("\n");
      assert.ok(!all.includes(PROXY_SECRET), "the proxy password appears in the logs");
      assert.ok(!all.includes(PASSWORD));
    } finally {
      await p.close();
      await corp.close();
      await api.close();
    }
  });

  it("says which proxy it tried when the proxy is down", async () => {
    const api = await startFakeApi({ tls: { key: cert.key, cert: cert.cert } });
    const corp = await startCorpProxy(api.port);
    await corp.close();
    const p = await startProxy(`https://api.test.invalid:${api.port}`, {
      env: { HTTPS_PROXY: corp.url },
      settings: { ca: cert.cert },
    });
    try {
      const s = p.proxy.session.snapshot();
      assert.equal(s.ready, false);
      assert.match(
        s.lastError?.message ?? "",
        new RegExp(`through http://127\\.0\\.0\\.1:${corp.port} \\(HTTPS_PROXY\\)`),
      );
    } finally {
      await p.close();
      await api.close();
    }
  });
});

describe("an http API through a forward proxy", () => {
  it("sends absolute-form targets built as text (no URL normalising), with keep-alive and Proxy-Authorization", async () => {
    const api = await startFakeApi();
    const corp = await startCorpProxy(api.port);
    const origin = `http://compute.internal.test:${api.port}`;
    const p = await startProxy(origin, { env: { http_proxy: `http://opc:${PROXY_SECRET}@127.0.0.1:${corp.port}` } });
    try {
      assert.equal(p.proxy.session.snapshot().ready, true, JSON.stringify(p.proxy.session.snapshot()));
      const paths = ["/sshkey/Compute-acme//jack%40example.com/k1", "//evil.example/x", "/a/../b", "/q?x=%zz"];
      for (const path of paths)
        assert.equal((await send(p.url, "GET", path, { headers: { accept: V3 } })).status, 200, path);
      assert.deepEqual(
        corp.forwarded.map((f) => f.target),
        ["/authenticate/", ...paths].map((path) => origin + path),
      );
      assert.ok(
        corp.forwarded.every((f) => f.auth === `Basic ${Buffer.from(`opc:${PROXY_SECRET}`).toString("base64")}`),
      );
      assert.ok(corp.connections < corp.forwarded.length, `connections: ${corp.connections}`);
      assert.ok(api.requests.every((r) => r.headers["proxy-authorization"] === undefined));
      assert.ok(!p.logs.join("\n").includes(PROXY_SECRET));
    } finally {
      await p.close();
      await corp.close();
      await api.close();
    }
  });

  it("goes direct when NO_PROXY matches, and fails start-up on an unusable proxy URL", async () => {
    const p = await startProxy("https://compute.example.com", {
      env: { HTTPS_PROXY: "http://127.0.0.1:9", NO_PROXY: "example.com" },
      start: false,
    });
    try {
      assert.equal(p.proxy.upstream.route.kind, "direct");
      assert.ok(p.logs.some((l) => /NO_PROXY matches compute\.example\.com/.test(l)));
    } finally {
      await p.close();
    }
    await assert.rejects(
      startProxy("https://compute.example.com", { env: { HTTPS_PROXY: "socks5://127.0.0.1:1080" }, start: false }),
      /HTTPS_PROXY: socks5:\/\/ proxies are not supported/,
    );
  });
});
