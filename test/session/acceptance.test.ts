// Only the configured user's cookie is ever taken: the rule as a table, then through the real
// proxy, where an API answer carrying someone else's cookie changes nothing and is logged without it.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { judgeCookie } from "../../src/session/acceptance.js";
import { send } from "../support/stack.js";
import { startFakeApi, type FakeApi } from "../security/support/fake-api.js";
import { startProxy, USER, type TestProxy } from "../security/support/proxy.js";

/** A value shaped like the API's (base64 of the nested identity JSON) naming `user`. */
function cookieFor(user: string): string {
  const now = Date.now() / 1000;
  const value = JSON.stringify({ user, expires: now + 1800, session_expires: now + 10800 });
  return Buffer.from(JSON.stringify({ identity: JSON.stringify({ realm: "r", value, signature: "s" }) })).toString(
    "base64",
  );
}
const OTHER = "/Compute-acme/mallory@example.com";

describe("judgeCookie", () => {
  const rows = [
    {
      name: "the configured user's cookie from a 204",
      issued: { value: cookieFor(USER), status: 204, maxAgeSeconds: 1800 },
      take: true,
    },
    { name: "an opaque value (older installations)", issued: { value: "opaque==", status: 200 }, take: true },
    { name: "status unknown, Max-Age absent", issued: { value: cookieFor(USER) }, take: true },
    {
      name: "another user's cookie",
      issued: { value: cookieFor(OTHER), status: 204 },
      take: false,
      reason: /another user/,
    },
    {
      name: "a cookie that came with a 401",
      issued: { value: cookieFor(USER), status: 401 },
      take: false,
      reason: /HTTP 401/,
    },
    {
      name: "a cookie that came with a 302",
      issued: { value: "opaque", status: 302 },
      take: false,
      reason: /HTTP 302/,
    },
    {
      name: "Max-Age=0 (a deletion)",
      issued: { value: cookieFor(USER), status: 200, maxAgeSeconds: 0 },
      take: false,
      reason: /Max-Age is 0/,
    },
    {
      name: "a negative Max-Age",
      issued: { value: "opaque", status: 200, maxAgeSeconds: -1 },
      take: false,
      reason: /Max-Age/,
    },
  ];
  for (const row of rows) {
    it(row.name, () => {
      const v = judgeCookie(row.issued, USER);
      assert.equal(v.take, row.take);
      if (!v.take) {
        assert.match(v.reason, row.reason!);
        assert.ok(!v.reason.includes(row.issued.value), "the reason shows the cookie value");
      }
    });
  }
});

describe("cookies offered by API answers", () => {
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

  const rows = [
    { name: "another user's cookie on a 200", status: 200, line: `nimbula=${cookieFor(OTHER)}; Path=/; Max-Age=1800` },
    {
      name: "a cookie on a 403 answer",
      status: 403,
      line: "nimbula=from-a-403; Path=/; Max-Age=1800",
    },
    { name: "a Max-Age=0 cookie on a 200", status: 200, line: "nimbula=deleted; Path=/; Max-Age=0" },
  ];
  for (const row of rows) {
    it(`${row.name} is ignored, logged with a reason and without the value`, async () => {
      const held = p.proxy.session.currentCookie()!;
      api.handler = (req, res) => {
        if (req.url !== "/offer") return false;
        res.writeHead(row.status, { "set-cookie": row.line, "content-type": "application/json" }).end("{}");
      };
      const r = await send(p.url, "GET", "/offer");
      assert.equal(r.status, row.status);
      assert.equal(p.proxy.session.currentCookie(), held, "the session changed hands");
      await send(p.url, "GET", "/next");
      assert.equal(api.requests.at(-1)!.headers.cookie, `nimbula=${held}`);
      const warn = p.logs.filter((l) => l.includes('"cookie_ignored"')).at(-1);
      assert.ok(warn, "no warn line");
      const value = row.line.slice("nimbula=".length, row.line.indexOf(";"));
      assert.ok(!warn.includes(value), "the log line shows the cookie");
    });
  }
});
