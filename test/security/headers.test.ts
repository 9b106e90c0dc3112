// What crosses the proxy in headers, seen from a recording stand-in API: the client's own Cookie,
// Authorization and proxy headers never go upstream, and no nimbula Set-Cookie ever comes back to
// the client, however the API writes it, on success, on a 401 and on errors.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { send, V3 } from "../support/stack.js";
import { startFakeApi, type FakeApi } from "./support/fake-api.js";
import { startProxy, type TestProxy } from "./support/proxy.js";

describe("headers across the proxy", () => {
  let api: FakeApi;
  let p: TestProxy;
  before(async () => {
    api = await startFakeApi();
    p = await startProxy(api.url);
  });
  after(async () => {
    await p.close();
    await api.close();
  });

  it("sends only the managed cookie upstream: never the client's Cookie, Authorization or proxy headers", async () => {
    const r = await send(p.url, "POST", "/sshkey/", {
      headers: {
        accept: V3,
        "content-type": V3,
        cookie: ["nimbula=client-forged-cookie", "session=abc"],
        authorization: "Bearer s3cret",
        "proxy-authorization": "Basic cHJveHk6cHc=",
        connection: "keep-alive, x-hop-secret",
        "x-hop-secret": "hop",
        "x-opc-auth-proxy-exact-path": "//evil.example/steal",
        te: "trailers",
      },
      body: "{}",
    });
    assert.equal(r.status, 200);
    const seen = api.requests.at(-1)!;
    assert.equal(seen.url, "/sshkey/");
    assert.equal(seen.headers.cookie, `nimbula=${api.issued.at(-1)}`);
    for (const h of ["authorization", "proxy-authorization", "x-hop-secret", "x-opc-auth-proxy-exact-path", "te"]) {
      assert.equal(seen.headers[h], undefined, `${h} went upstream`);
    }
    const rawText = seen.rawHeaders.join("\n");
    for (const s of ["client-forged-cookie", "s3cret", "session=abc"]) assert.ok(!rawText.includes(s), s);
    assert.equal(seen.headers["content-type"], V3);
    assert.equal(seen.headers.accept, V3);
  });

  it("strips every nimbula Set-Cookie, in any case or folded into another line, and keeps the others", async () => {
    const lines = [
      "nimbula=rotated-SECRET-1; Path=/; Max-Age=1800",
      "NIMBULA=upper-SECRET-2; Path=/",
      "  nimbula=spaced-SECRET-3",
      "theme=dark; Path=/",
      "a=1; Path=/, nimbula=folded-SECRET-4; Path=/",
      "nimbula2=not-ours; Path=/",
    ];
    api.handler = (req, res) => {
      if (req.url !== "/rotating") return false;
      res.setHeader("set-cookie", lines);
      res.writeHead(200, { "content-type": V3 }).end('{"result": []}');
    };
    const r = await send(p.url, "GET", "/rotating", { headers: { accept: V3 } });
    assert.equal(r.status, 200);
    assert.deepEqual(r.headers["set-cookie"], ["theme=dark; Path=/", "nimbula2=not-ours; Path=/"]);
    assert.ok(!JSON.stringify(r.headers).includes("SECRET"));
  });

  it("strips it from a 401 that reaches the client, and from error statuses", async () => {
    api.handler = (req, res) => {
      const status = req.url === "/always-401" ? 401 : req.url === "/boom" ? 500 : 0;
      if (status === 0) return false;
      req.resume();
      req.on("end", () => {
        res.setHeader("set-cookie", ["nimbula=from-error-SECRET; Path=/"]);
        res
          .writeHead(status, { "content-type": "application/json" })
          .end('{"message": "Authorization token is invalid"}');
      });
    };
    const unauthorized = await send(p.url, "GET", "/always-401", { headers: { accept: V3 } });
    assert.equal(unauthorized.status, 401, "after one re-login and replay, the second 401 is the client's");
    const boom = await send(p.url, "GET", "/boom", { headers: { accept: V3 } });
    assert.equal(boom.status, 500);
    for (const r of [unauthorized, boom]) {
      assert.equal(r.headers["set-cookie"], undefined);
      assert.ok(!r.text.includes("SECRET"));
    }
  });

  it("never puts the managed cookie in a body the proxy itself writes", async () => {
    api.handler = (req) => {
      if (req.url === "/reset") req.socket.resetAndDestroy();
      else return false;
    };
    const r = await send(p.url, "POST", "/reset", { headers: { "content-type": V3 }, body: "{}", fresh: true });
    assert.equal(r.status, 502);
    for (const cookie of api.issued) assert.ok(!r.text.includes(cookie));
    const status = await send(p.url, "GET", "/-/status");
    const metrics = await send(p.url, "GET", "/-/metrics");
    for (const cookie of api.issued) {
      assert.ok(!status.text.includes(cookie));
      assert.ok(!metrics.text.includes(cookie));
    }
  });
});
