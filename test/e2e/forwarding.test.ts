// End to end: what the proxy sends to the API and back: exact paths, the managed cookie in place of
// the client's credentials, hop-by-hop headers dropped, nimbula Set-Cookie stripped, control
// endpoints answered locally.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { assemble, type RunningProxy } from "../../src/assemble.js";
import { staticCredentials } from "../../src/session/credentials.js";
import { silentLogger } from "../../src/log.js";
import { startEchoUpstream, type EchoUpstream } from "../support/echo-upstream.js";
import { send } from "../support/stack.js";
import { testSettings } from "../support/settings.js";

describe("forwarding", () => {
  let api: EchoUpstream;
  let proxy: RunningProxy;

  before(async () => {
    api = await startEchoUpstream();
    proxy = await assemble(testSettings(api.url), {
      credentials: staticCredentials("/Compute-acme/jack", "pw", "test"),
      log: silentLogger,
    });
    await proxy.session.start();
  });
  after(async () => {
    await proxy.shutdown(100);
    await api.close();
  });

  const last = () => api.seen[api.seen.length - 1]!;

  for (const path of [
    "/sshkey/Compute-acme/",
    "/sshkey/Compute-acme",
    "/sshkey/Compute-acme/jack.jones@example.com/key1",
    "/sshkey/Compute-acme/jack.jones%40example.com/key1",
    "/instance/Compute-acme//double/slash/",
    "/instance/Compute-acme/a/./b/../c",
    "/imagelist/oracle/public/?q=a%2Fb&x=1",
    "/weird/%zz/%2e%2e/",
    "/x/../-/status",
  ]) {
    it(`path ${path} reaches the API byte for byte`, async () => {
      const r = await send(proxy.url, "GET", path);
      assert.equal(r.status, 200);
      assert.equal(last().url, path);
    });
  }

  it("the client's Cookie and Authorization never reach the API; the managed cookie does", async () => {
    await send(proxy.url, "GET", "/x", {
      headers: { cookie: "nimbula=forged; other=1", authorization: "Basic Zm9vOmJhcg==", "x-custom": "kept" },
    });
    const h = last().headers;
    assert.equal(h.cookie, "nimbula=echo-token-1");
    assert.equal(h.authorization, undefined);
    assert.equal(h["x-custom"], "kept");
    assert.equal(h.host, new URL(api.url).host);
  });

  it("hop-by-hop headers and those named in Connection are dropped both ways", async () => {
    api.extraHeaders = { "x-hop": "secret-hop", connection: "x-hop", "x-end": "kept" };
    try {
      const r = await send(proxy.url, "GET", "/y", {
        headers: {
          connection: "keep-alive, x-drop-me",
          "x-drop-me": "1",
          "proxy-authorization": "Basic abc",
          te: "trailers",
        },
      });
      const h = last().headers;
      assert.equal(h["x-drop-me"], undefined);
      assert.equal(h["proxy-authorization"], undefined);
      assert.equal(h.te, undefined);
      assert.equal(r.headers["x-hop"], undefined);
      assert.equal(r.headers["x-end"], "kept");
    } finally {
      api.extraHeaders = {};
    }
  });

  it("nimbula Set-Cookie lines are stripped from responses; other cookies pass", async () => {
    api.extraHeaders = { "set-cookie": ["nimbula=rotated-secret; Path=/; Max-Age=1800", "lb=abc; Path=/"] };
    try {
      const r = await send(proxy.url, "GET", "/z");
      assert.deepEqual(r.headers["set-cookie"], ["lb=abc; Path=/"]);
      assert.ok(!r.text.includes("rotated-secret"));
      // And the proxy adopted it: the next request carries it.
      await send(proxy.url, "GET", "/z2");
      assert.equal(last().headers.cookie, "nimbula=rotated-secret");
    } finally {
      api.extraHeaders = {};
    }
  });

  it("Accept and Content-Type pass through unchanged; bodies are echoed intact", async () => {
    const body = JSON.stringify({ a: "ü", b: [1, 2, 3] });
    const r = await send(proxy.url, "POST", "/echo", {
      headers: {
        "content-type": "application/oracle-compute-v3+json",
        accept: "application/oracle-compute-v3+directory+json",
      },
      body,
    });
    assert.equal(r.text, body);
    assert.equal(last().headers.accept, "application/oracle-compute-v3+directory+json");
    assert.equal(last().headers["content-type"], "application/oracle-compute-v3+json");
  });

  it("Expect: 100-continue uploads get the cookie too", async () => {
    const r = await send(proxy.url, "PUT", "/upload", {
      headers: { expect: "100-continue", "content-length": "5" },
      body: "hello",
    });
    assert.equal(r.status, 200);
    assert.equal(r.json().bytes, 5);
    assert.match(String(last().headers.cookie), /^nimbula=/);
    assert.equal(last().headers.expect, undefined);
  });

  it("control endpoints answer locally and never forward", async () => {
    const before = api.seen.length;
    assert.equal((await send(proxy.url, "GET", "/-/healthz")).status, 200);
    const ready = await send(proxy.url, "GET", "/-/readyz");
    assert.equal(ready.status, 200);
    const status = await send(proxy.url, "GET", "/-/status");
    assert.equal(status.json().session.state, "ready");
    assert.ok(!status.text.includes("echo-token") && !status.text.includes("rotated-secret"));
    const metrics = await send(proxy.url, "GET", "/-/metrics");
    assert.match(metrics.text, /opc_auth_proxy_requests_total/);
    assert.match(metrics.text, /opc_auth_proxy_session_ready 1/);
    const unknown = await send(proxy.url, "GET", "/-/nope");
    assert.equal(unknown.status, 404);
    assert.match(unknown.json().message, /reserved/);
    assert.equal(api.seen.length, before);
  });
});
