// End to end, proxy in front of the simulator on one fake clock: token lifetimes, session ends,
// revocation bursts, 401 replays of bodies, and rotated cookies, with no failed request.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { events, send, startStack, V3, type Stack } from "../support/stack.js";

/** Moves the shared clock in steps, letting the proxy finish each refresh or login it starts. */
async function pass(stack: Stack, ms: number, step: number, each?: () => Promise<void>): Promise<void> {
  for (let t = 0; t < ms; t += step) {
    await stack.fake!.advance(step);
    await stack.proxy.session.idle();
    await each?.();
  }
}

describe("session life", () => {
  it("steady traffic across several token lifetimes: no failed request, refreshes, one login", async () => {
    const stack = await startStack({ sim: { tokenTtlSeconds: 3, sessionTtlSeconds: 3600 } });
    try {
      const statuses: number[] = [];
      await pass(stack, 15_000, 250, async () => {
        statuses.push((await send(stack.url, "GET", "/shape/", { headers: { accept: V3 } })).status);
      });
      assert.equal(statuses.length, 60);
      assert.deepEqual(new Set(statuses), new Set([200]));
      const c = stack.sim.simulator.counters();
      assert.equal(c.logins, 1, "no re-login while the session lasts");
      assert.ok(c.refreshes >= 5, `refreshed ${c.refreshes} times over 5 lifetimes`);
      assert.equal(c.unauthorized, 0, "a known-expired cookie was never sent");
    } finally {
      await stack.close();
    }
  });

  it("traffic across several short sessions: no failed request, a login per session", async () => {
    const stack = await startStack({ sim: { tokenTtlSeconds: 3, sessionTtlSeconds: 10 } });
    try {
      const statuses: number[] = [];
      await pass(stack, 40_000, 250, async () => {
        statuses.push((await send(stack.url, "GET", "/imagelist/oracle/public/", { headers: { accept: V3 } })).status);
      });
      assert.deepEqual(new Set(statuses), new Set([200]));
      const c = stack.sim.simulator.counters();
      assert.ok(c.logins >= 4 && c.logins <= 6, `logins: ${c.logins} for 4 sessions`);
      assert.equal(c.unauthorized, 0);
      assert.ok(events(stack.logs, "login").some((e) => e.reason === "the session is about to end"));
    } finally {
      await stack.close();
    }
  });

  it("a server-side revocation under 50 concurrent requests costs exactly one login", async () => {
    const stack = await startStack();
    try {
      const before = stack.sim.simulator.counters().logins;
      stack.sim.simulator.revokeAll();
      const replies = await Promise.all(
        Array.from({ length: 50 }, () => send(stack.url, "GET", "/shape/", { headers: { accept: V3 }, fresh: true })),
      );
      assert.deepEqual(new Set(replies.map((r) => r.status)), new Set([200]));
      assert.equal(stack.sim.simulator.counters().logins - before, 1);
      assert.equal(events(stack.logs, "invalidate").length, 1);
      assert.ok(events(stack.logs, "request").some((e) => e.retried === "401"));
    } finally {
      await stack.close();
    }
  });

  it("an expired cookie is never sent after the clock jumps (laptop sleep)", async () => {
    const stack = await startStack({ sim: { tokenTtlSeconds: 60, sessionTtlSeconds: 3600 } });
    try {
      // Jump past the token's life without letting the refresh timer run first.
      const fake = stack.fake!;
      const next = fake.nextAt()!;
      (fake as unknown as { t: number }).t = next + 120_000;
      const r = await send(stack.url, "GET", "/shape/", { headers: { accept: V3 } });
      assert.equal(r.status, 200);
      assert.equal(stack.sim.simulator.counters().unauthorized, 0);
      assert.equal(stack.sim.simulator.counters().logins, 2);
    } finally {
      await stack.close();
    }
  });
});

describe("401 replay", () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack();
  });
  after(() => stack.close());

  it("POST and PUT bodies arrive intact when sent again after a 401", async () => {
    const key = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ== jack@laptop";
    const name = "/Compute-acme/jack.jones@example.com/replayed";
    stack.sim.simulator.revokeAll();
    const created = await send(stack.url, "POST", "/sshkey/", {
      headers: { "content-type": V3, accept: V3 },
      body: JSON.stringify({ name, key, enabled: true }),
    });
    assert.equal(created.status, 201, created.text);
    assert.equal(created.json().key, key);

    stack.sim.simulator.revokeAll();
    const updated = await send(stack.url, "PUT", `/sshkey${name}`, {
      headers: { "content-type": V3, accept: V3 },
      body: JSON.stringify({ name, key: `${key}-2`, enabled: false }),
    });
    assert.equal(updated.status, 200, updated.text);
    const got = await send(stack.url, "GET", `/sshkey${name}`, { headers: { accept: V3 } });
    assert.equal(got.json().key, `${key}-2`);
    assert.equal(got.json().enabled, false);
    assert.equal(events(stack.logs, "request").filter((e) => e.retried === "401").length, 2);
  });

  it("a body of 900 KiB, still arriving when the 401 comes back, is replayed intact", async () => {
    const name = "/Compute-acme/jack.jones@example.com/large";
    const key = `ssh-rsa ${"A".repeat(900 * 1024)} jack@laptop`;
    stack.sim.simulator.revokeAll();
    const created = await send(stack.url, "POST", "/sshkey/", {
      headers: { "content-type": V3, accept: V3 },
      body: JSON.stringify({ name, key, enabled: true }),
    });
    assert.equal(created.status, 201, created.text.slice(0, 200));
    const got = await send(stack.url, "GET", `/sshkey${name}`, { headers: { accept: V3 } });
    assert.equal(got.json().key, key);
  });

  it("a body over --max-replay-bytes is not replayed: the client sees the 401 and the next request works", async () => {
    const small = await startStack({ proxy: { maxReplayBytes: 16 } });
    try {
      small.sim.simulator.revokeAll();
      const body = JSON.stringify({
        name: "/Compute-acme/jack.jones@example.com/big",
        key: "ssh-rsa AAAA big",
        enabled: true,
      });
      const r = await send(small.url, "POST", "/sshkey/", { headers: { "content-type": V3, accept: V3 }, body });
      assert.equal(r.status, 401);
      await small.proxy.session.idle();
      const again = await send(small.url, "POST", "/sshkey/", { headers: { "content-type": V3, accept: V3 }, body });
      assert.equal(again.status, 201, again.text);
    } finally {
      await small.close();
    }
  });

  it("a replay refused as well reaches the client, and the session drops that cookie at once", async () => {
    const own = await startStack();
    try {
      const sim = own.sim.simulator;
      const session = own.proxy.session;
      // The session is revoked again right as the re-login lands: the replay carries a dead cookie.
      session.once("login", () => sim.revokeAll());
      sim.revokeAll();
      const before = sim.counters().logins;
      const r = await send(own.url, "GET", "/shape/", { headers: { accept: V3 } });
      assert.equal(r.status, 401, "sent twice, refused twice");
      await session.idle();
      assert.equal(session.snapshot().counters.unauthorized, 2, "both 401s reached the session");
      assert.equal(sim.counters().logins, before + 2, "the second 401 logs in again without waiting for traffic");
      const again = await send(own.url, "GET", "/shape/", { headers: { accept: V3 } });
      assert.equal(again.status, 200);
    } finally {
      await own.close();
    }
  });

  it("a rotated cookie on an ordinary response is adopted", async () => {
    stack.sim.simulator.rotateCookieNext(1);
    const r = await send(stack.url, "GET", "/shape/", { headers: { accept: V3 } });
    assert.equal(r.status, 200);
    assert.equal(r.headers["set-cookie"], undefined, "the nimbula cookie never reaches the client");
    assert.equal(stack.proxy.session.snapshot().counters.adopted, 1);
    const again = await send(stack.url, "GET", "/shape/", { headers: { accept: V3 } });
    assert.equal(again.status, 200);
  });
});
