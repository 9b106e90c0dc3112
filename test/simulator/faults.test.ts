// Injected faults, cookie rotation and the /-/sim/ control surface.

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { api, cookieFor, decodeCookie, login, send, startFake } from "../support/simulator.js";

const control = (base: string, method: string, path: string, body?: unknown) =>
  send(
    base,
    method,
    path,
    body === undefined ? {} : { headers: { "content-type": "application/json" }, body: JSON.stringify(body) },
  );

describe("simulator faults and control surface", () => {
  let sim: Awaited<ReturnType<typeof startFake>>;
  let cookie: string;
  before(async () => {
    sim = await startFake();
    cookie = await cookieFor(sim.url);
  });
  after(() => sim.close());

  it("resets the connection", async () => {
    sim.simulator.failNext(1, { kind: "reset" });
    await assert.rejects(
      api(sim.url, cookie, "GET", "/shape/"),
      (err: NodeJS.ErrnoException) => err.code === "ECONNRESET",
    );
    assert.equal((await api(sim.url, cookie, "GET", "/shape/")).status, 200, "only the next request fails");
  });

  it("answers 500 and 503 with a JSON body, for the requested count", async () => {
    const queued = await control(sim.url, "POST", "/-/sim/fail", { count: 2, fault: { kind: "status", status: 500 } });
    assert.equal(queued.status, 200);
    assert.deepEqual(queued.json(), { faultsPending: 2 });
    for (let i = 0; i < 2; i++) {
      const r = await api(sim.url, cookie, "GET", "/shape/");
      assert.equal(r.status, 500);
      assert.equal(typeof r.json().message, "string");
    }
    sim.simulator.failNext(1, { kind: "status", status: 503, message: "Service is down for maintenance" });
    const r = await login(sim.url);
    assert.equal(r.status, 503, "faults apply to login too");
    assert.equal(r.json().message, "Service is down for maintenance");
    assert.equal((await api(sim.url, cookie, "GET", "/shape/")).status, 200);
  });

  it("answers with an HTML error page", async () => {
    sim.simulator.failNext(1, { kind: "html" });
    const r = await api(sim.url, cookie, "GET", "/shape/");
    assert.equal(r.status, 502);
    assert.match(String(r.headers["content-type"]), /^text\/html/);
    assert.match(r.text, /<html>/);
    assert.throws(() => r.json());
  });

  it("delays, then answers normally (real timers)", async () => {
    sim.simulator.failNext(1, { kind: "delay", ms: 40 });
    const started = Date.now();
    const r = await api(sim.url, cookie, "GET", "/shape/oc3");
    assert.equal(r.status, 200);
    assert.ok(Date.now() - started >= 35, "the answer waited for the delay");
  });

  it("clears queued faults and rejects bad fault requests", async () => {
    sim.simulator.failNext(5, { kind: "status", status: 500 });
    assert.deepEqual((await control(sim.url, "DELETE", "/-/sim/fail")).json(), { faultsPending: 0 });
    assert.equal((await api(sim.url, cookie, "GET", "/shape/")).status, 200);
    for (const bad of [
      { fault: { kind: "explode" } },
      { fault: { kind: "status", status: 200 } },
      { count: -1, fault: { kind: "reset" } },
    ]) {
      const r = await control(sim.url, "POST", "/-/sim/fail", bad);
      assert.equal(r.status, 400);
      assert.equal(typeof r.json().message, "string");
    }
    assert.equal((await send(sim.url, "POST", "/-/sim/fail", { body: "{oops" })).status, 400);
    assert.equal((await control(sim.url, "GET", "/-/sim/nothing")).status, 404);
    assert.equal((await control(sim.url, "GET", "/-/sim/revoke")).status, 405);
  });

  it("rotates the cookie on the next N ordinary responses only", async () => {
    assert.deepEqual((await control(sim.url, "POST", "/-/sim/rotate", { count: 2 })).json(), { rotationsPending: 2 });
    assert.equal((await api(sim.url, cookie, "GET", "/shape/nosuch")).cookie(), undefined, "a 404 is not ordinary");
    const seen: string[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await api(sim.url, cookie, "GET", "/shape/oc3");
      assert.equal(r.status, 200);
      const fresh = r.cookie();
      if (fresh) seen.push(fresh);
    }
    assert.equal(seen.length, 2);
    assert.notEqual(seen[0], cookie);
    assert.notEqual(seen[0], seen[1]);
    assert.equal(decodeCookie(seen[1]!).claims.user, decodeCookie(cookie).claims.user);
    assert.equal((await api(sim.url, seen[1]!, "GET", "/shape/oc3")).status, 200, "the rotated cookie works");
  });

  it("reports counters", async () => {
    const before = (await control(sim.url, "GET", "/-/sim/counters")).json();
    await send(sim.url, "GET", "/shape/");
    await login(sim.url, "/Compute-acme/jack.jones@example.com", "wrong");
    await login(sim.url);
    const after = (await control(sim.url, "GET", "/-/sim/counters")).json();
    assert.deepEqual(Object.keys(after).sort(), ["failedLogins", "logins", "refreshes", "requests", "unauthorized"]);
    assert.equal(after.requests - before.requests, 3, "control requests are not counted");
    assert.equal(after.unauthorized - before.unauthorized, 2);
    assert.equal(after.failedLogins - before.failedLogins, 1);
    assert.equal(after.logins - before.logins, 1);
    const status = (await control(sim.url, "GET", "/-/sim/")).json();
    assert.deepEqual(Object.keys(status).sort(), [
      "counters",
      "faultsPending",
      "objects",
      "rotationsPending",
      "sessions",
    ]);
  });
});

describe("simulator close", () => {
  it("ends delayed and keep-alive connections promptly", async () => {
    const sim = await startFake();
    const cookie = await cookieFor(sim.url);
    // A keep-alive connection left open by fetch, and a request stuck in a one-minute delay.
    await fetch(`${sim.url}/shape/`, { headers: { cookie: `nimbula=${cookie}` } }).then((r) => r.text());
    sim.simulator.failNext(1, { kind: "delay", ms: 60_000 });
    const stuck = api(sim.url, cookie, "GET", "/shape/").then(
      () => "answered",
      () => "closed",
    );
    await new Promise((r) => setTimeout(r, 20));
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([
      sim.close().then(() => "closed"),
      new Promise((r) => (timer = setTimeout(() => r("hung"), 5_000))),
    ]);
    clearTimeout(timer);
    assert.equal(outcome, "closed");
    assert.ok(["answered", "closed"].includes(await stuck));
  });
});
