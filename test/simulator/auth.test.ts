// Login, refresh, cookie validity, revocation and password changes behave as the Compute API does.

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createLogger } from "../../src/log.js";
import { api, cookieFor, decodeCookie, login, PASSWORD, send, startFake, USER, V3 } from "../support/simulator.js";

const MIN = 60_000;

describe("simulator authentication", () => {
  let sim: Awaited<ReturnType<typeof startFake>>;
  before(async () => {
    sim = await startFake({
      users: [
        { user: USER, password: PASSWORD },
        { user: "/Compute-acme/ann", password: "pw2" },
      ],
    });
  });
  after(() => sim.close());

  it("answers a good login with 204 and a nimbula cookie carrying the nested identity", async () => {
    const r = await login(sim.url);
    assert.equal(r.status, 204);
    assert.equal(r.text, "");
    const line = ([] as string[]).concat(r.headers["set-cookie"] ?? [])[0]!;
    assert.match(line, /^nimbula=[A-Za-z0-9+/]+=*; Path=\/; Max-Age=1800$/);
    const { outer, identity, claims } = decodeCookie(r.cookie()!);
    assert.deepEqual(Object.keys(outer), ["identity"]);
    assert.deepEqual(Object.keys(identity), ["realm", "value", "signature"]);
    assert.deepEqual(Object.keys(claims), [
      "customer",
      "realm",
      "entity_type",
      "session_expires",
      "expires",
      "user",
      "groups",
    ]);
    const now = sim.clock.now() / 1000;
    assert.equal(claims.user, USER);
    assert.equal(claims.customer, "Compute-acme");
    assert.equal(claims.entity_type, "user");
    assert.equal(claims.realm, identity.realm);
    assert.equal(claims.expires, now + 1800);
    assert.equal(claims.session_expires, now + 10800);
    assert.ok(claims.groups.every((g: string) => g.startsWith("/Compute-acme/")));
  });

  it("refuses a wrong content type (415), malformed JSON (400) and missing fields (400)", async () => {
    assert.equal((await login(sim.url, USER, PASSWORD, "application/json")).status, 415);
    const bad = await send(sim.url, "POST", "/authenticate/", { headers: { "content-type": V3 }, body: "{nope" });
    assert.equal(bad.status, 400);
    assert.equal(typeof bad.json().message, "string");
    const missing = await send(sim.url, "POST", "/authenticate/", {
      headers: { "content-type": V3 },
      body: '{"user": "x"}',
    });
    assert.equal(missing.status, 400);
    assert.equal((await send(sim.url, "GET", "/authenticate/")).status, 405);
  });

  it("answers wrong credentials with 401 and the API's message; user names are case-sensitive", async () => {
    const before = sim.simulator.counters();
    for (const [user, pw] of [
      [USER, "wrong"],
      [USER.toUpperCase(), PASSWORD],
      ["jack", PASSWORD],
    ] as const) {
      const r = await login(sim.url, user, pw);
      assert.equal(r.status, 401);
      assert.deepEqual(r.json(), { message: "Incorrect username or password" });
    }
    const after = sim.simulator.counters();
    assert.equal(after.failedLogins - before.failedLogins, 3);
    assert.equal(after.unauthorized - before.unauthorized, 3);
  });

  it("refuses requests without a cookie, with a forged cookie and with an edited one", async () => {
    const invalid = { message: "Authorization token is invalid" };
    const none = await send(sim.url, "GET", "/shape/");
    assert.equal(none.status, 401);
    assert.deepEqual(none.json(), invalid);

    const good = await cookieFor(sim.url);
    assert.equal((await api(sim.url, good, "GET", "/shape/")).status, 200);

    // Same structure, new times, but signed by someone else.
    const { identity, claims } = decodeCookie(good);
    claims.expires += 3600;
    const forgedValue = JSON.stringify(claims);
    const forged = Buffer.from(
      JSON.stringify({ identity: JSON.stringify({ ...identity, value: forgedValue }) }),
    ).toString("base64");
    assert.deepEqual((await api(sim.url, forged, "GET", "/shape/")).json(), invalid);

    const mid = Math.floor(good.length / 2);
    const edited = good.slice(0, mid) + (good[mid] === "A" ? "B" : "A") + good.slice(mid + 1);
    assert.equal((await api(sim.url, edited, "GET", "/shape/")).status, 401);
    const repadded = good.endsWith("=") ? good.replace(/=+$/, "") : `${good}==`;
    assert.equal((await api(sim.url, repadded, "GET", "/shape/")).status, 401, "padding edits are refused too");
    assert.equal((await api(sim.url, "garbage", "GET", "/shape/")).status, 401);
  });

  it("finds the cookie among others in a lenient Cookie header", async () => {
    const good = await cookieFor(sim.url);
    const r = await send(sim.url, "GET", "/shape/", { headers: { cookie: `a=1; nimbula=${good}; other=x=y` } });
    assert.equal(r.status, 200);
  });

  it("refresh extends by the token TTL from now, never past the session end, and fails after it", async () => {
    const first = await cookieFor(sim.url);
    const loginAt = sim.clock.now();
    await sim.clock.advance(20 * MIN);
    const r1 = await api(sim.url, first, "GET", "/refresh/");
    assert.equal(r1.status, 204);
    const second = r1.cookie()!;
    assert.notEqual(second, first);
    assert.equal(decodeCookie(second).claims.expires, (sim.clock.now() + 30 * MIN) / 1000);
    assert.match(String(r1.headers["set-cookie"]), /Max-Age=1800/);
    assert.equal((await api(sim.url, first, "GET", "/shape/")).status, 200, "the old token works until its own expiry");

    // Keep refreshing in 25-minute steps until within 10 minutes of the session end.
    let cookie = second;
    for (let i = 0; i < 20 && sim.clock.now() < loginAt + 170 * MIN; i++) {
      await sim.clock.advance(25 * MIN);
      const r = await api(sim.url, cookie, "GET", "/refresh/");
      assert.equal(r.status, 204);
      cookie = r.cookie()!;
    }
    const { claims } = decodeCookie(cookie);
    assert.equal(claims.session_expires, (loginAt + 180 * MIN) / 1000);
    assert.ok(claims.expires <= claims.session_expires);
    const capped = await api(sim.url, cookie, "GET", "/refresh/");
    assert.equal(decodeCookie(capped.cookie()!).claims.expires, claims.session_expires, "capped at the session end");
    cookie = capped.cookie()!;

    await sim.clock.advance(180 * MIN);
    const late = await api(sim.url, cookie, "GET", "/refresh/");
    assert.equal(late.status, 401);
    assert.deepEqual(late.json(), { message: "Authorization token is invalid" });
  });

  it("refuses a token after its expiry, and refresh with it", async () => {
    const cookie = await cookieFor(sim.url);
    await sim.clock.advance(30 * MIN);
    assert.equal((await api(sim.url, cookie, "GET", "/shape/")).status, 401);
    assert.equal((await api(sim.url, cookie, "GET", "/refresh/")).status, 401);
  });

  it("counts logins and refreshes", async () => {
    const before = sim.simulator.counters();
    const cookie = await cookieFor(sim.url);
    await api(sim.url, cookie, "GET", "/refresh/");
    const after = sim.simulator.counters();
    assert.equal(after.logins - before.logins, 1);
    assert.equal(after.refreshes - before.refreshes, 1);
    assert.equal(after.requests - before.requests, 2);
  });

  it("revocation kills every token of every session", async () => {
    const a = await cookieFor(sim.url);
    const refreshed = (await api(sim.url, a, "GET", "/refresh/")).cookie()!;
    const b = await cookieFor(sim.url, "/Compute-acme/ann", "pw2");
    const revoked = await send(sim.url, "POST", "/-/sim/revoke");
    assert.equal(revoked.status, 200);
    assert.ok(revoked.json().revoked >= 2);
    for (const c of [a, refreshed, b]) {
      assert.equal((await api(sim.url, c, "GET", "/shape/")).status, 401);
      assert.equal((await api(sim.url, c, "GET", "/refresh/")).status, 401);
    }
    assert.equal((await login(sim.url)).status, 204, "a new login works after revocation");
    assert.equal(
      (await api(sim.url, a, "GET", "/shape/")).status,
      401,
      "even in the same millisecond, old tokens stay dead",
    );
  });

  it("a password change takes effect at the next login", async () => {
    const r = await send(sim.url, "POST", "/-/sim/password", {
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ user: "/Compute-acme/ann", password: "new-pw" }),
    });
    assert.equal(r.status, 200);
    assert.equal((await login(sim.url, "/Compute-acme/ann", "pw2")).status, 401);
    assert.equal((await login(sim.url, "/Compute-acme/ann", "new-pw")).status, 204);
    sim.simulator.setPassword("/Compute-acme/ann", "third");
    assert.equal((await login(sim.url, "/Compute-acme/ann", "third")).status, 204);
    const bad = await send(sim.url, "POST", "/-/sim/password", {
      body: JSON.stringify({ user: "nobody", password: "x" }),
    });
    assert.equal(bad.status, 400);
  });
});

describe("simulator with raw cookies and short TTLs", () => {
  it("emits the nested JSON raw and accepts it back", async () => {
    const sim = await startFake({ cookieFormat: "raw", tokenTtlSeconds: 3, sessionTtlSeconds: 5 });
    try {
      const r = await login(sim.url);
      const cookie = r.cookie()!;
      assert.ok(cookie.startsWith('{"identity":"{\\"realm\\"'), cookie);
      assert.ok(!cookie.includes(";"));
      assert.match(String(r.headers["set-cookie"]), /Max-Age=3$/);
      const { claims } = decodeCookie(cookie, true);
      assert.equal(claims.expires - sim.clock.now() / 1000, 3);
      assert.equal((await api(sim.url, cookie, "GET", "/shape/oc3")).status, 200);
      await sim.clock.advance(2500);
      const refreshed = await api(sim.url, cookie, "GET", "/refresh/");
      assert.match(String(refreshed.headers["set-cookie"]), /Max-Age=2$/, "capped by the 5 s session");
      await sim.clock.advance(2500);
      assert.equal((await api(sim.url, refreshed.cookie()!, "GET", "/refresh/")).status, 401);
    } finally {
      await sim.close();
    }
  });
});

describe("simulator log lines", () => {
  it("say what happened once: the component names the simulator, the message does not repeat it", async () => {
    const lines: Record<string, unknown>[] = [];
    const log = createLogger("info", {
      write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>),
    });
    const sim = await startFake({ logger: log.child({ component: "simulator" }) });
    try {
      assert.equal((await login(sim.url)).status, 204);
      assert.equal((await login(sim.url, USER, "wrong")).status, 401);
    } finally {
      await sim.close();
    }
    const msgs = lines.filter((l) => l.component === "simulator").map((l) => l.msg);
    assert.ok(msgs.includes("login") && msgs.includes("login refused"), JSON.stringify(msgs));
    assert.ok(!msgs.some((m) => String(m).startsWith("simulator")), JSON.stringify(msgs));
  });
});
