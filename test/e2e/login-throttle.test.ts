// Guessing the operator's password through the proxy's POST /authenticate/: a few tries, then 429
// TOO_MANY_LOGINS with Retry-After, refused without looking at the password (no oracle).

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { events, PASSWORD, send, startStack, USER, V3, type Stack } from "../support/stack.js";

const login = (url: string, password: string, user = USER) =>
  send(url, "POST", "/authenticate/", {
    headers: { "content-type": V3 },
    body: JSON.stringify({ user, password }),
  });

describe("login throttle on the session endpoint", () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({ passwordFile: true });
  });
  after(() => stack.close());

  it("3 wrong guesses are 401, then even the right password is 429 until Retry-After passes", async () => {
    for (let i = 0; i < 3; i++) assert.equal((await login(stack.url, `guess-${i}`)).status, 401);
    for (const password of ["guess-3", PASSWORD]) {
      const r = await login(stack.url, password);
      assert.equal(r.status, 429, r.text);
      assert.equal(r.headers["retry-after"], "1");
      assert.deepEqual(r.json(), {
        message: "too many failed logins for this user; try again in 1 s",
        code: "TOO_MANY_LOGINS",
      });
      assert.ok(!r.headers["set-cookie"]);
    }
    await stack.fake!.advance(1_000);
    assert.equal((await login(stack.url, PASSWORD)).status, 204, "the right password after the lockout");
    assert.equal((await login(stack.url, "guess-4")).status, 401, "the success forgot the failures");
  });

  it("a throttled login is logged with the user name and counted as throttled", async () => {
    const lines = events(stack.logs, "client_login_throttled");
    assert.ok(lines.length >= 2);
    assert.equal(lines.at(-1)!.user, USER);
    assert.equal(lines.at(-1)!.retryAfterSeconds, 1);
    assert.ok(!stack.logs.join("\n").includes(PASSWORD), "the password was logged");
    const metrics = (await send(stack.url, "GET", "/-/metrics")).text;
    assert.match(
      metrics,
      /opc_auth_proxy_client_session_requests_total\{endpoint="authenticate",outcome="throttled"\} 2/,
    );
  });

  it("another user name is throttled apart from the operator's", async () => {
    for (let i = 0; i < 4; i++) await login(stack.url, "x", "/Compute-acme/mallory");
    assert.equal((await login(stack.url, "x", "/Compute-acme/mallory")).status, 429);
    assert.equal((await login(stack.url, PASSWORD)).status, 204);
  });
});
