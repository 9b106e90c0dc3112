// The status page over HTTP: its security headers, the assets it may load, the guard in front of
// it (foreign Host and Origin refused), and /-/events holding the session's history without secrets.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { PASSWORD, send, startStack, V3, type Stack } from "../support/stack.js";

describe("status page over HTTP", () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({ sim: { tokenTtlSeconds: 3, sessionTtlSeconds: 10 } });
  });
  after(() => stack.close());

  const served = [
    { name: "the page", path: "/-/", type: /^text\/html/ },
    { name: "its script", path: "/-/assets/status.js", type: /^text\/javascript/ },
    { name: "its styles", path: "/-/assets/status.css", type: /^text\/css/ },
    { name: "uPlot from node_modules", path: "/-/assets/uPlot.iife.min.js", type: /^text\/javascript/ },
    { name: "uPlot's styles", path: "/-/assets/uPlot.min.css", type: /^text\/css/ },
    { name: "the icon", path: "/-/assets/favicon.svg", type: /^image\/svg\+xml/ },
    { name: "the history", path: "/-/events", type: /^application\/json/ },
  ];
  for (const row of served) {
    it(`serves ${row.name} with a strict CSP, no framing and nosniff`, async () => {
      const r = await send(stack.url, "GET", row.path);
      assert.equal(r.status, 200, r.text.slice(0, 200));
      assert.match(String(r.headers["content-type"]), row.type);
      const csp = String(r.headers["content-security-policy"]);
      assert.match(csp, /default-src 'none'/);
      assert.match(csp, /script-src 'self'(;|$)/);
      assert.match(csp, /frame-ancestors 'none'/);
      assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
      assert.equal(r.headers["x-frame-options"], "DENY");
      assert.equal(r.headers["x-content-type-options"], "nosniff");
    });
  }

  it("the page has no inline script or style and loads nothing from another origin", async () => {
    const html = (await send(stack.url, "GET", "/-/")).text;
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
    assert.ok(scripts.length >= 2);
    for (const [, attrs, body] of scripts) {
      assert.match(attrs!, /src="\/-\/assets\//);
      assert.equal(body!.trim(), "");
    }
    assert.doesNotMatch(html, /<style|\sstyle=|\son[a-z]+=|https?:\/\//i);
  });

  const refused = [
    { name: "an unknown asset", path: "/-/assets/secret.txt", headers: {}, status: 404, code: "BAD_REQUEST" },
    {
      name: "an asset path escape",
      path: "/-/assets/..%2fpackage.json",
      headers: {},
      status: 404,
      code: "BAD_REQUEST",
    },
    {
      name: "/-/ with a foreign Origin",
      path: "/-/",
      headers: { origin: "http://evil.example" },
      status: 403,
      code: "FORBIDDEN_ORIGIN",
    },
    {
      name: "/-/events with a foreign Origin",
      path: "/-/events",
      headers: { origin: "http://evil.example" },
      status: 403,
      code: "FORBIDDEN_ORIGIN",
    },
    {
      name: "/-/events cross-site",
      path: "/-/events",
      headers: { "sec-fetch-site": "cross-site" },
      status: 403,
      code: "FORBIDDEN_ORIGIN",
    },
    {
      name: "/-/ under a foreign Host (DNS rebinding)",
      path: "/-/",
      headers: { host: "evil.example" },
      status: 403,
      code: "FORBIDDEN_HOST",
    },
    {
      name: "an asset under a foreign Host",
      path: "/-/assets/status.js",
      headers: { host: "evil.example:8080" },
      status: 403,
      code: "FORBIDDEN_HOST",
    },
  ];
  for (const row of refused) {
    it(`refuses ${row.name}`, async () => {
      const r = await send(stack.url, "GET", row.path, { headers: row.headers });
      assert.equal(r.status, row.status, r.text);
      assert.equal(r.json().code, row.code);
    });
  }

  it("/-/events holds the refreshes, re-logins and request counts, and nothing secret", async () => {
    for (let t = 0; t < 12_000; t += 250) {
      await stack.fake!.advance(250);
      await stack.proxy.session.idle();
      await send(stack.url, "GET", "/shape/", { headers: { accept: V3 } });
    }
    const r = await send(stack.url, "GET", "/-/events");
    const h = r.json();
    const types = new Set(h.events.map((e: { type: string }) => e.type));
    assert.ok(types.has("login") && types.has("refresh") && types.has("relogin"), [...types].join(", "));
    assert.ok(h.events.some((e: { cause?: string }) => e.cause === "the session is about to end"));
    assert.equal(
      h.minutes.requests.reduce((a: number, b: number) => a + b, 0),
      48,
    );
    assert.deepEqual(h.capacity, { events: 10_000, minutes: 1_440 });
    const cookie = stack.proxy.session.currentCookie();
    assert.ok(cookie, "a session is held");
    for (const secret of [cookie, PASSWORD]) {
      assert.ok(!r.text.includes(secret), "no secret in /-/events");
      assert.ok(!(await send(stack.url, "GET", "/-/")).text.includes(secret), "no secret in the page");
    }
  });
});
