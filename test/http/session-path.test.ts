// Other spellings of the session endpoints are refused with 400, never forwarded with the managed
// cookie; ordinary API paths that merely look alike are forwarded as before.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { sessionPathOf } from "../../src/http/session-path.js";
import { send, startStack, type Stack } from "../support/stack.js";

const VARIANTS = [
  { path: "/Authenticate/", endpoint: "authenticate" },
  { path: "/AUTHENTICATE/", endpoint: "authenticate" },
  { path: "/%61uthenticate/", endpoint: "authenticate" },
  { path: "/%2561uthenticate/", endpoint: "authenticate" },
  { path: "/authenticate%2F", endpoint: "authenticate" },
  { path: "/authenticate//", endpoint: "authenticate" },
  { path: "//authenticate/", endpoint: "authenticate" },
  { path: "/./authenticate/", endpoint: "authenticate" },
  { path: "/x/../authenticate/", endpoint: "authenticate" },
  { path: "/authenticate/.", endpoint: "authenticate" },
  { path: "/authenticate;/", endpoint: "authenticate" },
  { path: "/authenticate;jsessionid=1", endpoint: "authenticate" },
  { path: "/%5Cauthenticate%5C", endpoint: "authenticate" },
  { path: "/refresh/..", endpoint: "refresh" },
  { path: "/REFRESH", endpoint: "refresh" },
  { path: "/%72efresh/", endpoint: "refresh" },
] as const;

const FORWARDED = [
  "/instance/Compute-acme/jack/refresh-vm",
  "/authenticate/extra",
  "/x/authenticate/",
  "/sshkey/Compute-acme/a%40b.com/k",
  "/%zz/authenticate",
  "/",
];

describe("sessionPathOf", () => {
  for (const path of ["/authenticate/", "/authenticate", "/refresh/", "/refresh"]) {
    it(`${path} is exact`, () => assert.equal(sessionPathOf(path)?.exact, true));
  }
  for (const row of VARIANTS) {
    it(`${row.path} names ${row.endpoint} in another spelling`, () =>
      assert.deepEqual(sessionPathOf(row.path), { endpoint: row.endpoint, exact: false }));
  }
  for (const path of FORWARDED)
    it(`${path} is no session endpoint`, () => assert.equal(sessionPathOf(path), undefined));
});

describe("variants of the session endpoints through the proxy", () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack();
  });
  after(() => stack.close());

  for (const row of VARIANTS) {
    it(`POST ${row.path}: 400 BAD_REQUEST naming /${row.endpoint}/, nothing sent to the API`, async () => {
      const before = stack.sim.simulator.counters().requests;
      const r = await send(stack.url, "POST", row.path, {
        headers: { "content-type": "application/oracle-compute-v3+json" },
        body: JSON.stringify({ user: "/Compute-acme/mallory", password: "guess" }),
      });
      assert.equal(r.status, 400, r.text);
      assert.equal(r.json().code, "BAD_REQUEST");
      assert.ok(r.json().message.includes(`/${row.endpoint}/`), r.text);
      assert.equal(stack.sim.simulator.counters().requests, before, "forwarded to the API");
    });
  }

  it("a look-alike API path is still forwarded", async () => {
    const before = stack.sim.simulator.counters().requests;
    await send(stack.url, "GET", FORWARDED[0]!);
    assert.equal(stack.sim.simulator.counters().requests, before + 1);
  });
});
