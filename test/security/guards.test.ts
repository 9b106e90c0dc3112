// The request guard's rules, one by one, on plain request objects: Host allow-list (exact, IPv6,
// ports), browser refusals (Origin, Sec-Fetch-Site, preflight), request targets and methods.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { requestChecker, type GuardOptions, type GuardedRequest } from "../../src/http/guards.js";
import { hostNameOf, parseAllowHost, unbracketed } from "../../src/net/host-names.js";
import { isLoopbackHost } from "../../src/net/addresses.js";

const tcp: GuardOptions = { allowHosts: [], allowOrigins: [], listen: { kind: "tcp", host: "127.0.0.1", port: 8080 } };

function req(headers: Record<string, string> = {}, url = "/instance/", method = "GET"): GuardedRequest {
  return { method, url, headers, socket: { localPort: 8080 } } as GuardedRequest;
}

describe("Host allow-list", () => {
  const check = requestChecker(tcp);
  for (const host of [
    "localhost",
    "localhost:8080",
    "LOCALHOST:1",
    "127.0.0.1",
    "127.0.0.1:8080",
    "[::1]",
    "[::1]:8080",
    "localhost:",
  ]) {
    it(`accepts Host: ${host}`, () => assert.equal(check(req({ host })), undefined));
  }
  for (const host of [
    "localhost.evil.example",
    "127.0.0.1.nip.io",
    "127.0.0.1.nip.io:8080",
    "evil.example",
    "localhost.",
    "127.0.0.2",
    "0.0.0.0",
    "[::2]",
    "[0:0:0:0:0:0:0:1]",
    "xlocalhost",
  ]) {
    it(`refuses Host: ${host} with 403 naming --allow-host`, () => {
      const r = check(req({ host }));
      assert.equal(r?.status, 403);
      assert.equal(r?.code, "FORBIDDEN_HOST");
      assert.match(r!.message, /--allow-host/);
    });
  }
  for (const host of ["::1", "localhost:80a", "[::1", "localhost:123456", "user@localhost", "localhost/x"]) {
    it(`refuses the malformed Host: ${host} with 400`, () => {
      const r = check(req({ host }));
      assert.equal(r?.status, 400, host);
      assert.equal(r?.code, "BAD_REQUEST");
    });
  }
  it("refuses a request without Host", () => {
    const r = check(req({}));
    assert.equal(r?.status, 400);
    assert.match(r!.message, /Host header is required/);
  });
  it("accepts names given with --allow-host exactly, on any port, and nothing below them", () => {
    const c = requestChecker({ ...tcp, allowHosts: ["opc-proxy", "[fd00::1]"] });
    assert.equal(c(req({ host: "opc-proxy:8080" })), undefined);
    assert.equal(c(req({ host: "OPC-PROXY" })), undefined);
    assert.equal(c(req({ host: "[fd00::1]:8080" })), undefined);
    assert.equal(c(req({ host: "x.opc-proxy" }))?.status, 403);
    assert.equal(c(req({ host: "opc-proxy.evil.example" }))?.status, 403);
  });
  it("accepts the host named in --listen, but the unspecified address adds nothing", () => {
    const named = requestChecker({ ...tcp, listen: { kind: "tcp", host: "10.1.2.3", port: 8080 } });
    assert.equal(named(req({ host: "10.1.2.3:8080" })), undefined);
    const any = requestChecker({ ...tcp, listen: { kind: "tcp", host: "0.0.0.0", port: 8080 } });
    assert.equal(any(req({ host: "0.0.0.0:8080" }))?.status, 403);
    assert.equal(any(req({ host: "10.1.2.3:8080" }))?.status, 403);
  });
  it("exempts GET /-/healthz and /-/readyz (probes send the pod IP), but not /-/status, /-/metrics or forwarding", () => {
    const probe = { host: "10.244.1.7:8080" };
    assert.equal(check(req(probe, "/-/healthz")), undefined);
    assert.equal(check(req(probe, "/-/readyz?verbose=1")), undefined);
    assert.equal(check(req(probe, "/-/healthz", "HEAD")), undefined);
    assert.equal(check(req(probe, "/-/healthz", "POST"))?.status, 403);
    assert.equal(check(req(probe, "/-/healthz/"))?.status, 403);
    assert.equal(check(req(probe, "/-/status"))?.status, 403);
    assert.equal(check(req(probe, "/-/metrics"))?.status, 403);
    assert.equal(check(req(probe, "/instance/"))?.status, 403);
  });
  it("does not check Host on a unix socket, which only its file mode guards", () => {
    const c = requestChecker({ ...tcp, listen: { kind: "unix", path: "/run/opc.sock" } });
    assert.equal(c(req({ host: "anything.example" })), undefined);
  });
  it("remembers accepted values without ever accepting a refused one later", () => {
    for (let i = 0; i < 200; i++) assert.equal(check(req({ host: `localhost:${i}` })), undefined);
    assert.equal(check(req({ host: "evil.example" }))?.status, 403);
  });
  it("property: a Host passes exactly when its name is an allowed one", () => {
    const allowed = new Set(["localhost", "127.0.0.1", "[::1]", "opc-proxy"]);
    const c = requestChecker({ ...tcp, allowHosts: ["opc-proxy"] });
    const name = fc.oneof(
      fc.constantFrom(...allowed, "evil.example", "localhost.evil", "::1"),
      fc.string({ maxLength: 30 }),
    );
    const port = fc.oneof(
      fc.constant(""),
      fc.integer({ min: 0, max: 99999 }).map((p) => `:${p}`),
      fc.string({ maxLength: 6 }),
    );
    fc.assert(
      fc.property(name, port, (n, p) => {
        const host = n + p;
        const r = c(req({ host }));
        const parsed = hostNameOf(host);
        const shouldPass = parsed !== undefined && allowed.has(parsed);
        assert.equal(r === undefined, shouldPass, `Host ${JSON.stringify(host)}`);
        if (n.startsWith("localhost.") || n.startsWith("127.0.0.1.")) assert.notEqual(r, undefined);
      }),
      { numRuns: 2000 },
    );
  });
});

describe("unbracketed: hosts as node:net takes them", () => {
  const rows: [name: string, host: string, want: string][] = [
    ["IPv6 literal in brackets", "[::1]", "::1"],
    ["full IPv6 literal", "[2001:db8::7]", "2001:db8::7"],
    ["IPv4 address", "127.0.0.1", "127.0.0.1"],
    ["DNS name", "compute.example.com", "compute.example.com"],
    ["bare IPv6 literal", "::1", "::1"],
  ];
  for (const [name, host, want] of rows) it(name, () => assert.equal(unbracketed(host), want));
  it("takes a WHATWG URL's hostname", () => assert.equal(unbracketed(new URL("https://[::1]:8443/").hostname), "::1"));
});

describe("--allow-host values", () => {
  it("takes names and IP addresses, brackets IPv6, and refuses ports, wildcards, schemes", () => {
    assert.deepEqual(parseAllowHost("Opc-Proxy"), { name: "opc-proxy" });
    assert.deepEqual(parseAllowHost("10.0.0.5"), { name: "10.0.0.5" });
    assert.deepEqual(parseAllowHost("fd00::1"), { name: "[fd00::1]" });
    assert.deepEqual(parseAllowHost("[fd00::1]"), { name: "[fd00::1]" });
    for (const bad of ["opc-proxy:8080", "*.example", "http://opc-proxy", "", "a b", "[fd00::1]:80"]) {
      assert.ok("problem" in parseAllowHost(bad), bad);
    }
  });
});

describe("browser requests", () => {
  const check = requestChecker({ ...tcp, allowOrigins: ["http://localhost:3000"] });
  const host = "127.0.0.1:8080";
  it("refuses any Origin not listed with --allow-origin, including null and the proxy's own", () => {
    for (const origin of [
      "https://evil.example",
      "null",
      "http://127.0.0.1:8080",
      "http://localhost:3001",
      "http://localhost:3000.evil.example",
    ]) {
      const r = check(req({ host, origin }, "/instance/", "POST"));
      assert.equal(r?.status, 403, origin);
      assert.equal(r?.code, "FORBIDDEN_ORIGIN");
      assert.match(r!.message, /--allow-origin/);
    }
  });
  it("accepts an allowed Origin, case-insensitively, even when Sec-Fetch-Site says same-site", () => {
    assert.equal(
      check(req({ host, origin: "http://LOCALHOST:3000", "sec-fetch-site": "same-site" }, "/instance/", "POST")),
      undefined,
    );
  });
  it("refuses Sec-Fetch-Site cross-site and same-site without an Origin; accepts same-origin and none", () => {
    assert.equal(check(req({ host, "sec-fetch-site": "cross-site" }))?.status, 403);
    assert.equal(check(req({ host, "sec-fetch-site": "same-site" }))?.status, 403);
    assert.equal(check(req({ host, "sec-fetch-site": "same-origin" })), undefined);
    assert.equal(check(req({ host, "sec-fetch-site": "none" })), undefined);
  });
  it("refuses every CORS preflight, even from an allowed origin; a plain OPTIONS is forwarded", () => {
    const pre = { host, origin: "http://localhost:3000", "access-control-request-method": "DELETE" };
    const r = check(req(pre, "/instance/", "OPTIONS"));
    assert.equal(r?.status, 403);
    assert.match(r!.message, /preflight/);
    assert.equal(check(req({ host }, "/instance/", "OPTIONS")), undefined);
  });
  it("normalises --allow-origin as a browser serialises origins (default port dropped)", () => {
    const c = requestChecker({ ...tcp, allowOrigins: ["http://localhost:80"] });
    assert.equal(c(req({ host, origin: "http://localhost" })), undefined);
  });
});

describe("request targets and methods", () => {
  const check = requestChecker(tcp);
  it("refuses absolute-form naming another host with 403, and never rewrites it", () => {
    for (const url of [
      "http://evil.example/instance/",
      "https://compute.example.com/instance/",
      "http://localhost.evil.example/",
      "http://user@localhost:8080/x",
      "ftp://localhost:8080/",
      "https://localhost:8080/",
      "http://127.0.0.1:9999/x",
      "http://localhost/x",
    ]) {
      const r = req({ host: "localhost" }, url);
      const refused = check(r);
      assert.equal(refused?.status, 403, url);
      assert.equal(refused?.code, "FORBIDDEN_TARGET");
      assert.equal(r.url, url);
    }
  });
  it("treats absolute-form naming the proxy itself as its path, whatever the Host header says", () => {
    const r = req({ host: "evil.example" }, "http://127.0.0.1:8080/sshkey/Compute-acme//a%40b?x=1");
    assert.equal(check(r), undefined);
    assert.equal(r.url, "/sshkey/Compute-acme//a%40b?x=1");
    assert.equal(r.headers.host, "127.0.0.1:8080", "the checked authority stands in for the unchecked Host");
    const bare = req({}, "http://localhost:8080");
    assert.equal(check(bare), undefined);
    assert.equal(bare.url, "/");
    const v6 = req({}, "http://[::1]:8080/x");
    assert.equal(check(v6), undefined);
    assert.equal(v6.url, "/x");
    const query = req({}, "http://localhost:8080?x=1");
    assert.equal(check(query), undefined);
    assert.equal(query.url, "/?x=1");
  });
  it("refuses OPTIONS * and other targets that are not paths with 400", () => {
    assert.equal(check(req({ host: "localhost" }, "*", "OPTIONS"))?.status, 400);
    assert.equal(check(req({ host: "localhost" }, "instance/"))?.status, 400);
  });
  it("refuses TRACE (it would echo the managed cookie) and other methods with 405 and Allow", () => {
    for (const method of ["TRACE", "PROPFIND", "PURGE", "LINK", "CONNECT"]) {
      const r = check(req({ host: "localhost" }, "/", method));
      assert.equal(r?.status, 405, method);
      assert.match(r!.allow!, /GET, HEAD, POST/);
    }
  });
  it("refuses a Transfer-Encoding that does not end in chunked (request smuggling)", () => {
    assert.equal(check(req({ host: "localhost", "transfer-encoding": "gzip" }, "/", "POST"))?.status, 400);
    assert.equal(check(req({ host: "localhost", "transfer-encoding": "chunked, gzip" }, "/", "POST"))?.status, 400);
    assert.equal(check(req({ host: "localhost", "transfer-encoding": "gzip, chunked" }, "/", "POST")), undefined);
  });
});

describe("the non-loopback --listen warning", () => {
  it("is given for every address but loopback ones", () => {
    for (const h of ["127.0.0.1", "127.1.2.3", "::1", "localhost", "::ffff:127.0.0.1"])
      assert.equal(isLoopbackHost(h), true, h);
    for (const h of ["0.0.0.0", "::", "10.0.0.5", "opc-proxy", "127.0.0.1.nip.io", "localhost.evil.example"])
      assert.equal(isLoopbackHost(h), false, h);
  });
});
