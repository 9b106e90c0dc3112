// Client identity mode end to end: several users through one proxy, each with its own managed
// session, by their own login (handles) or HTTP Basic; wrong passwords, eviction, revocation,
// restarts, and what /-/status, /-/metrics and the logs tell (counts, never another's user name).

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { looksLikeHandle } from "../../src/session/identity.js";
import {
  ALICE,
  BOB,
  CAROL,
  basic,
  handleCookie,
  login,
  startClientStack,
  type ClientStack,
} from "../support/client-stack.js";
import { send, V3 } from "../support/stack.js";

const ACME = "/sshkey/Compute-acme/";
const BETA = "/sshkey/Compute-beta/";
const get = (url: string, path: string, headers: Record<string, string>) =>
  send(url, "GET", path, { headers: { accept: V3, ...headers } });

let seq = 0;
/** POST /sshkey/ of a key named under `owner`: 201 in the caller's own identity domain, 403 in another's. */
const createKey = async (url: string, owner: { user: string }, headers: Record<string, string>) =>
  (
    await send(url, "POST", "/sshkey/", {
      headers: { accept: V3, "content-type": V3, ...headers },
      body: JSON.stringify({ name: `${owner.user}/k${++seq}`, key: "ssh-rsa AAAAB3Nza k@example.com", enabled: true }),
    })
  ).status;

function assertInvalidToken(r: { status: number; headers: Record<string, unknown>; json(): any }, message: string) {
  assert.equal(r.status, 401);
  assert.equal(r.json().message, message);
  assert.equal(r.headers["www-authenticate"], 'Basic realm="opc-auth-proxy"');
}

describe("client identity mode", () => {
  let stack: ClientStack;
  before(async () => {
    stack = await startClientStack();
  });
  after(() => stack.close());
  const counters = () => stack.sim.simulator.counters();

  it("two SDK-style clients log in as two users at the same time, and each acts as itself", async () => {
    const before = counters().logins;
    const [a, b] = await Promise.all([login(stack.url, ALICE), login(stack.url, BOB)]);
    assert.equal(a.status, 204, a.text);
    assert.equal(b.status, 204, b.text);
    assert.equal(counters().logins - before, 2);
    const [ca, cb] = [handleCookie(a), handleCookie(b)];
    assert.ok(looksLikeHandle(ca.slice("nimbula=".length)), ca);
    assert.notEqual(ca, cb);
    const maxAge = Number(/Max-Age=(\d+)/.exec(a.headers["set-cookie"]![0]!)![1]);
    assert.ok(maxAge > 1700 && maxAge <= 1800, `Max-Age ${maxAge}`);

    assert.equal((await get(stack.url, ACME, { cookie: ca })).status, 200);
    assert.equal(await createKey(stack.url, ALICE, { cookie: ca }), 201);
    assert.equal(await createKey(stack.url, ALICE, { cookie: cb }), 403, "bob is not in acme");
    assert.equal(await createKey(stack.url, BOB, { cookie: cb }), 201);
    assert.equal(await createKey(stack.url, BOB, { cookie: ca }), 403, "alice is not in beta");

    // Logging in again with the same identity costs no login; GET /refresh/ keeps the handle.
    assert.equal((await login(stack.url, ALICE)).status, 204);
    const refreshed = await send(stack.url, "GET", "/refresh/", { headers: { cookie: ca } });
    assert.equal(refreshed.status, 204, refreshed.text);
    assert.equal(handleCookie(refreshed), ca);
    assert.equal(counters().logins - before, 2);
  });

  it("the same through HTTP Basic, the password split at the user's end (it may hold colons)", async () => {
    await stack.restart();
    const before = counters().logins;
    const statuses = await Promise.all([
      createKey(stack.url, ALICE, { authorization: basic(ALICE) }),
      createKey(stack.url, BOB, { authorization: basic(BOB) }),
      createKey(stack.url, ALICE, { authorization: basic(ALICE) }),
      createKey(stack.url, ALICE, { authorization: basic(BOB) }),
    ]);
    assert.deepEqual(statuses, [201, 201, 201, 403]);
    assert.equal(counters().logins - before, 2);
  });

  it("no credentials, an unknown handle or a malformed Basic header: 401 in the API's words", async () => {
    assertInvalidToken(await get(stack.url, ACME, {}), "Authorization token is invalid");
    const unknown = `nimbula=${"A".repeat(43)}`;
    assertInvalidToken(await get(stack.url, ACME, { cookie: unknown }), "Authorization token is invalid");
    assertInvalidToken(await get(stack.url, ACME, { authorization: "Basic !!" }), "Authorization token is invalid");
    assertInvalidToken(
      await send(stack.url, "GET", "/refresh/", { headers: { cookie: unknown } }),
      "Authorization token is invalid",
    );
  });

  it("a wrong password reaches the API once; the proxy refuses it itself after that, by Basic or login", async () => {
    const failed = counters().failedLogins;
    const wrong = { user: ALICE.user, password: "guess" };
    for (let i = 0; i < 3; i++) {
      assertInvalidToken(await get(stack.url, ACME, { authorization: basic(wrong) }), "Incorrect username or password");
    }
    const viaLogin = await login(stack.url, wrong);
    assert.equal(viaLogin.status, 401);
    assert.equal(viaLogin.json().message, "Incorrect username or password");
    assert.equal(counters().failedLogins - failed, 1, "the API saw the wrong password once");
    assert.equal((await get(stack.url, ACME, { authorization: basic(ALICE) })).status, 200, "alice is unharmed");
  });

  it("40 concurrent requests of two identities after a server-side revocation make exactly two logins", async () => {
    const [a, b] = await Promise.all([login(stack.url, ALICE), login(stack.url, BOB)]);
    const [ca, cb] = [handleCookie(a), handleCookie(b)];
    stack.sim.simulator.revokeAll();
    const before = counters().logins;
    const replies = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        i % 2 ? get(stack.url, BETA, { cookie: cb }) : get(stack.url, ACME, { authorization: basic(ALICE) }),
      ),
    );
    assert.ok(
      replies.every((r) => r.status === 200),
      replies.map((r) => r.status).join(","),
    );
    assert.equal(counters().logins - before, 2);
    assert.equal((await get(stack.url, ACME, { cookie: ca })).status, 200, "the handle survives the re-login");
  });

  it("a handle from before a restart gets 401, and the client recovers by logging in again", async () => {
    const cookie = handleCookie(await login(stack.url, ALICE));
    await stack.restart();
    assertInvalidToken(await get(stack.url, ACME, { cookie }), "Authorization token is invalid");
    const again = handleCookie(await login(stack.url, ALICE));
    assert.equal((await get(stack.url, ACME, { cookie: again })).status, 200);
  });

  it("/-/status, /-/readyz and /-/metrics report counts, never a user name; logs name users, never secrets", async () => {
    const ready = await get(stack.url, "/-/readyz", {});
    assert.equal(ready.status, 200, ready.text);
    const status = (await get(stack.url, "/-/status", {})).json();
    assert.equal(status.identityMode, "client");
    assert.equal(status.identities.held, 1);
    assert.equal(status.identities.max, 100);
    assert.equal(status.session, undefined);
    const metrics = (await get(stack.url, "/-/metrics", {})).text;
    assert.match(metrics, /^opc_auth_proxy_identities 1$/m);
    assert.match(metrics, /^opc_auth_proxy_identity_logins_total\{outcome="ok"\} 1$/m);
    assert.match(metrics, /^opc_auth_proxy_identity_evictions_total\{cause="size"\} 0$/m);
    const events = (await get(stack.url, "/-/events", {})).text;
    for (const body of [JSON.stringify(status), metrics, events]) {
      for (const who of [ALICE, BOB, CAROL]) {
        assert.ok(!body.includes(who.user.split("/")[2]!), `a user name in ${body.slice(0, 80)}`);
        assert.ok(!body.includes(who.password));
      }
    }
    const all = stack.logs.join("\n");
    assert.ok(
      stack.logs.some((l) => l.includes('"event":"login"') && l.includes(ALICE.user)),
      "login names the user",
    );
    for (const who of [ALICE, BOB]) assert.ok(!all.includes(who.password), "a password in the logs");
    assert.ok(!/nimbula=[A-Za-z0-9_-]{43}/.test(all), "a handle in the logs");
  });
});

describe("client identity mode: bounds", () => {
  it("evicts the least recently used identity to make room (--max-identities)", async () => {
    const stack = await startClientStack({ proxy: { maxIdentities: 2 } });
    try {
      const a = handleCookie(await login(stack.url, ALICE));
      await login(stack.url, BOB);
      await login(stack.url, CAROL);
      assertInvalidToken(await get(stack.url, ACME, { cookie: a }), "Authorization token is invalid");
      assert.equal(stack.proxy.identities.size, 2);
      assert.match((await get(stack.url, "/-/metrics", {})).text, /evictions_total\{cause="size"\} 1$/m);
    } finally {
      await stack.close();
    }
  });

  it("evicts an identity idle for --identity-idle-timeout, and keeps one in use", async () => {
    const stack = await startClientStack({ proxy: { identityIdleTimeoutMs: 10 * 60_000 } });
    try {
      const a = handleCookie(await login(stack.url, ALICE));
      const b = handleCookie(await login(stack.url, BOB));
      for (let i = 0; i < 3; i++) {
        await stack.clock.advance(4 * 60_000);
        assert.equal((await get(stack.url, BETA, { cookie: b })).status, 200);
      }
      await stack.clock.advance(60_000);
      assertInvalidToken(await get(stack.url, ACME, { cookie: a }), "Authorization token is invalid");
      assert.equal((await get(stack.url, BETA, { cookie: b })).status, 200, "bob kept using his");
      assert.match((await get(stack.url, "/-/metrics", {})).text, /evictions_total\{cause="idle"\} 1$/m);
    } finally {
      await stack.close();
    }
  });

  it("ends an identity at its session end instead of logging in again", async () => {
    const stack = await startClientStack({ sim: { tokenTtlSeconds: 20, sessionTtlSeconds: 60 } });
    try {
      const a = handleCookie(await login(stack.url, ALICE));
      const logins = stack.sim.simulator.counters().logins;
      for (let i = 0; i < 8; i++) await stack.clock.advance(10_000);
      assert.equal(stack.sim.simulator.counters().logins, logins, "no login past the session end");
      assertInvalidToken(await get(stack.url, ACME, { cookie: a }), "Authorization token is invalid");
      assert.match((await get(stack.url, "/-/metrics", {})).text, /evictions_total\{cause="session-end"\} 1$/m);
    } finally {
      await stack.close();
    }
  });
});
