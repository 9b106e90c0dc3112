// The identity registry on its own: keys, handles, the rejected-password memory, eviction by size,
// idle time and session end, with sessions faked and time on a fake clock.

import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import { describe, it } from "node:test";
import { createIdentityKeys, looksLikeHandle } from "../../src/session/identity.js";
import { IdentityRegistry, type EvictionCause, type IdentitySession } from "../../src/session/registry.js";
import type { SessionSnapshot } from "../../src/session/events.js";
import { FakeClock } from "../support/fake-clock.js";
import { LoginThrottle } from "../../src/session/login-throttle.js";

const GOOD = "right password";

/** A session whose first login succeeds for GOOD and is rejected otherwise; counts logins. */
class FakeSession extends EventEmitter implements IdentitySession {
  stopped = false;
  private state: SessionSnapshot["state"] = "idle";
  private flight: Promise<void> | undefined;
  constructor(
    readonly user: string,
    private readonly password: string,
    private readonly api: { logins: number },
  ) {
    super();
  }
  start(): Promise<void> {
    if (this.state !== "idle") return this.flight ?? Promise.resolve();
    this.state = "logging-in";
    this.flight = Promise.resolve().then(() => {
      this.api.logins++;
      this.state = this.password === GOOD ? "ready" : "rejected";
    });
    return this.flight;
  }
  stop(): void {
    this.stopped = true;
    this.state = "stopped";
  }
  snapshot(): SessionSnapshot {
    const ready = this.state === "ready";
    return {
      state: this.state,
      ready,
      user: this.user,
      refreshing: false,
      consecutiveFailures: 0,
      counters: { logins: 0, refreshes: 0, adopted: 0, loginFailures: 0, refreshFailures: 0, unauthorized: 0 },
      ...(ready ? {} : { reason: "not ready" }),
    };
  }
}

function setup(opts: { max?: number; idleMs?: number; throttle?: boolean } = {}) {
  const clock = new FakeClock();
  const api = { logins: 0 };
  const made: FakeSession[] = [];
  const evictions: EvictionCause[] = [];
  const registry = new IdentityRegistry<FakeSession>({
    maxIdentities: opts.max ?? 100,
    idleTimeoutMs: opts.idleMs ?? 30 * 60_000,
    rejectedHoldMs: 60_000,
    clock,
    ...(opts.throttle ? { throttle: new LoginThrottle({ clock }) } : {}),
    keys: createIdentityKeys(),
    create: (user, password) => {
      const s = new FakeSession(user, password, api);
      made.push(s);
      return s;
    },
  });
  registry.on("evict", (e) => evictions.push(e.cause));
  return { clock, api, made, evictions, registry };
}

describe("identity keys", () => {
  it("separate user and password, and make 256-bit base64url handles", () => {
    const keys = createIdentityKeys();
    assert.equal(keys.keyOf("/Compute-a/u", "p"), keys.keyOf("/Compute-a/u", "p"));
    assert.notEqual(keys.keyOf("/Compute-a/u", "p"), keys.keyOf("/Compute-a/u", "q"));
    assert.notEqual(keys.keyOf("a", "\0b"), keys.keyOf("a\0", "b"));
    assert.notEqual(createIdentityKeys().keyOf("u", "p"), keys.keyOf("u", "p"), "a per-process key");
    const h = keys.newHandle();
    assert.ok(looksLikeHandle(h), h);
    assert.equal(Buffer.from(h, "base64url").length, 32);
    assert.notEqual(keys.newHandle(), h);
  });
});

describe("IdentityRegistry", () => {
  it("throttles a user's password guesses: the API sees three, then even the right one gets no answer", async () => {
    const { registry, api, clock } = setup({ throttle: true });
    assert.equal((await registry.ensure("/Compute-a/u", GOOD)).outcome, "ok", "the owner's session is held");
    const outcomes = [];
    for (let i = 0; i < 20; i++) outcomes.push((await registry.ensure("/Compute-a/u", `guess ${i}`)).outcome);
    assert.deepEqual(outcomes.slice(0, 3), ["rejected", "rejected", "rejected"]);
    assert.ok(
      outcomes.slice(3).every((o) => o === "throttled"),
      outcomes.join(","),
    );
    assert.equal(api.logins, 4, "one good login and three guesses reached the API");
    const locked = await registry.ensure("/Compute-a/u", GOOD);
    assert.equal(locked.outcome, "throttled", "a right password during the lockout is no oracle");
    await clock.advance(2_000);
    assert.equal((await registry.ensure("/Compute-a/u", GOOD)).outcome, "ok", "after the lockout the owner is back");
    assert.equal(
      (await registry.ensure("/Compute-a/other", "guess")).outcome,
      "rejected",
      "other users are not locked",
    );
  });

  it("shares one login among concurrent callers of the same identity", async () => {
    const { registry, api } = setup();
    const results = await Promise.all(Array.from({ length: 20 }, () => registry.ensure("/Compute-a/u", GOOD)));
    assert.ok(results.every((r) => r.outcome === "ok"));
    assert.equal(api.logins, 1);
    assert.equal(registry.size, 1);
  });

  it("keeps two users apart, and a wrong password never reaches the other's session", async () => {
    const { registry, api } = setup();
    const a = await registry.ensure("/Compute-a/u", GOOD);
    const wrong = await registry.ensure("/Compute-a/u", "guess");
    assert.equal(a.outcome, "ok");
    assert.equal(wrong.outcome, "rejected");
    assert.equal(api.logins, 2);
    assert.equal(registry.size, 1, "the rejected identity is not kept");
  });

  it("refuses a rejected password itself within the hold time, and asks the API again after it", async () => {
    const { registry, api, clock } = setup();
    assert.equal((await registry.ensure("/Compute-a/u", "guess")).outcome, "rejected");
    for (let i = 0; i < 5; i++) assert.equal((await registry.ensure("/Compute-a/u", "guess")).outcome, "refused");
    assert.equal(api.logins, 1, "the API saw the wrong password once");
    await clock.advance(61_000);
    assert.equal((await registry.ensure("/Compute-a/u", "guess")).outcome, "rejected");
    assert.equal(api.logins, 2);
  });

  it("maps handles to their identity, and forgets them when the identity goes", async () => {
    const { registry, made } = setup();
    const r = await registry.ensure("/Compute-a/u", GOOD);
    assert.equal(r.outcome, "ok");
    const handle = registry.issueHandle(r.outcome === "ok" ? r.key : "")!;
    assert.equal(registry.forHandle(handle), made[0]);
    assert.equal(registry.userOf(handle), "/Compute-a/u");
    assert.equal(registry.forHandle(createIdentityKeys().newHandle()), undefined);
    made[0]!.emit("end");
    assert.equal(registry.forHandle(handle), undefined);
    assert.ok(made[0]!.stopped);
  });

  const evictionRows: {
    name: string;
    max: number;
    idleMs: number;
    act(clock: FakeClock): Promise<void>;
    cause: EvictionCause;
  }[] = [
    {
      name: "by size: the least recently used makes room",
      max: 2,
      idleMs: 3_600_000,
      act: async () => {},
      cause: "size",
    },
    {
      name: "by idle time, swept on the clock even without access",
      max: 100,
      idleMs: 30 * 60_000,
      act: (clock) => clock.advance(31 * 60_000 + 60_000),
      cause: "idle",
    },
  ];
  for (const row of evictionRows) {
    it(`evicts ${row.name}, and stops the evicted session`, async () => {
      const { registry, made, evictions, clock } = setup({ max: row.max, idleMs: row.idleMs });
      await registry.ensure("/Compute-a/one", GOOD);
      await registry.ensure("/Compute-a/two", GOOD);
      if (row.cause === "size") await registry.ensure("/Compute-a/three", GOOD);
      await row.act(clock);
      assert.ok(evictions.includes(row.cause), `evictions: ${evictions.join(",")}`);
      assert.ok(made[0]!.stopped, "the first identity's session was stopped");
    });
  }

  it("keeps an identity in use past the idle timeout", async () => {
    const { registry, evictions, clock } = setup({ idleMs: 10 * 60_000 });
    const r = await registry.ensure("/Compute-a/u", GOOD);
    const handle = registry.issueHandle(r.outcome === "ok" ? r.key : "")!;
    for (let i = 0; i < 5; i++) {
      await clock.advance(5 * 60_000);
      assert.ok(registry.forHandle(handle), `still there after ${(i + 1) * 5} min of use`);
    }
    assert.deepEqual(evictions, []);
  });

  it("caps handles per identity, dropping the oldest", async () => {
    const { registry } = setup();
    const r = await registry.ensure("/Compute-a/u", GOOD);
    const key = r.outcome === "ok" ? r.key : "";
    const handles = Array.from({ length: 40 }, () => registry.issueHandle(key)!);
    assert.equal(registry.forHandle(handles[0]!), undefined);
    assert.ok(registry.forHandle(handles[39]!));
  });

  it("stops everything on shutdown", async () => {
    const { registry, made, evictions } = setup();
    await registry.ensure("/Compute-a/one", GOOD);
    await registry.ensure("/Compute-a/two", GOOD);
    registry.stop();
    assert.ok(made.every((s) => s.stopped));
    assert.deepEqual(evictions, ["shutdown", "shutdown"]);
    assert.equal((await registry.ensure("/Compute-a/one", GOOD)).outcome, "failed");
  });
});
