// Covers src/session/manager.ts: login, single flight, refresh scheduling from the token's own life,
// re-login before the session end, expiry on the request path, 401 handling, backoff, blocking after
// rejected logins, adopt, stop, and that events and snapshots never carry the cookie or password.

import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import type { Clock, Random, TimerHandle } from "../../src/clock.js";
import type { Credentials } from "../../src/session/credentials.js";
import { ProxyError } from "../../src/errors.js";
import { HTTP_STATUS } from "../../src/http/respond.js";
import { AuthFailure, type AuthClient } from "../../src/session/api-auth.js";
import type { IssuedCookie } from "../../src/session/cookie.js";
import type { SessionEvents } from "../../src/session/events.js";
import { SessionManager, type SessionOptions } from "../../src/session/manager.js";
import { nimbulaValue, opaqueNimbulaValue } from "../support/cookies.js";
import { FakeClock, settle } from "../support/fake-clock.js";
import { USER } from "../support/identities.js";

const MIN = 60_000;
const HOUR = 60 * MIN;
const PASSWORD = "correct horse battery staple";
const SOURCE = "the password file /run/secrets/opc-password";

// ---- fakes -------------------------------------------------------------------------------------

interface Deferred {
  promise: Promise<void>;
  resolve(): void;
  reject(err: unknown): void;
}

function deferred(): Deferred {
  let resolve!: () => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** A deterministic Random (LCG) so jitter varies but runs repeat. */
function seeded(seed = 7): Random {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** The cookie value exactly as design.md fact 4 describes it (test/support/cookies.ts). */
function encodeCookie(expiresAt: number, sessionEnd: number, n: number): string {
  return nimbulaValue({ user: USER, expiresAt, sessionExpiresAt: sessionEnd }, n);
}

type LoginMode = "ok" | "max-age" | "reject" | "transient" | "hang";
type RefreshMode = "ok" | "expired" | "transient" | "hang";

/** A Compute API in miniature: sessions with an end, tokens with an expiry, and switchable failures. */
class FakeAuth implements AuthClient {
  logins = 0;
  refreshes = 0;
  loginMode: LoginMode = "ok";
  refreshMode: RefreshMode = "ok";
  tokenTtlMs = 30 * MIN;
  sessionTtlMs = 3 * HOUR;
  /** How far the API's clock is behind ours: its claims are written on its clock. */
  skewMs = 0;
  readonly refreshTimes: number[] = [];
  /** Every cookie value ever handed out: none may appear in an event, snapshot or error. */
  readonly issued: string[] = [];
  readonly passwords: string[] = [];
  readonly users: string[] = [];
  readonly refreshedWith: string[] = [];
  private hung: Deferred[] = [];
  private seq = 0;
  private tokens = new Map<string, { expiresAt: number; sessionEnd: number; maxAge: boolean }>();

  constructor(private readonly clock: Clock) {}

  get waiting(): number {
    return this.hung.length;
  }

  /** Lets every hung call go on (as "ok"), or fail with `err`. */
  release(err?: unknown): void {
    const hung = this.hung;
    this.hung = [];
    for (const d of hung) {
      if (err === undefined) d.resolve();
      else d.reject(err);
    }
  }

  get last(): string {
    const v = this.issued.at(-1);
    assert.ok(v !== undefined, "no cookie issued yet");
    return v;
  }

  async authenticate(user: string, password: string): Promise<IssuedCookie> {
    this.logins++;
    this.users.push(user);
    this.passwords.push(password);
    const mode = this.loginMode;
    if (mode === "hang") await this.hang();
    if (mode === "reject") throw new AuthFailure("rejected", "login rejected: Incorrect username or password", 401);
    if (mode === "transient")
      throw new AuthFailure("transient", "login failed with HTTP 503: Service Unavailable", 503);
    const now = this.clock.now() - this.skewMs;
    return this.issue(now, now + this.sessionTtlMs, mode === "max-age");
  }

  async refresh(cookie: string): Promise<IssuedCookie> {
    this.refreshes++;
    this.refreshedWith.push(cookie);
    this.refreshTimes.push(this.clock.now());
    const mode = this.refreshMode;
    if (mode === "hang") await this.hang();
    if (mode === "transient") throw new AuthFailure("transient", "refresh failed with HTTP 502: Bad Gateway", 502);
    const t = this.tokens.get(cookie);
    const now = this.clock.now() - this.skewMs;
    if (mode === "expired" || !t || now >= t.expiresAt || now >= t.sessionEnd) {
      throw new AuthFailure("expired", "refresh refused: Authorization token is invalid", 401);
    }
    return this.issue(now, t.sessionEnd, t.maxAge);
  }

  private async hang(): Promise<void> {
    const d = deferred();
    this.hung.push(d);
    await d.promise;
  }

  private issue(now: number, sessionEnd: number, maxAgeOnly: boolean): IssuedCookie {
    const expiresAt = Math.min(now + this.tokenTtlMs, sessionEnd);
    const n = ++this.seq;
    const value = maxAgeOnly ? opaqueNimbulaValue(n) : encodeCookie(expiresAt, sessionEnd, n);
    this.tokens.set(value, { expiresAt, sessionEnd, maxAge: maxAgeOnly });
    this.issued.push(value);
    return { value, maxAgeSeconds: Math.round((expiresAt - now) / 1000) };
  }
}

class FakeCredentials implements Credentials {
  readonly user = USER;
  readonly source = SOURCE;
  fp = "v1";
  fingerprints = 0;
  failWith: unknown;

  async password(): Promise<string> {
    if (this.failWith !== undefined) throw this.failWith;
    return PASSWORD;
  }

  async fingerprint(): Promise<string | undefined> {
    this.fingerprints++;
    return this.fp;
  }
}

/** Wall time that can jump without timers firing: a laptop that slept. */
class SleepyClock implements Clock {
  private offset = 0;
  constructor(readonly inner: FakeClock) {}
  now(): number {
    return this.inner.now() + this.offset;
  }
  setTimeout(fn: () => void, ms: number): TimerHandle {
    return this.inner.setTimeout(fn, ms);
  }
  clearTimeout(handle: TimerHandle): void {
    this.inner.clearTimeout(handle);
  }
  sleep(ms: number): void {
    this.offset += ms;
  }
}

type Recorded = {
  [K in keyof SessionEvents]: { name: K; at: number; payload: SessionEvents[K][0] };
}[keyof SessionEvents];

const managers: SessionManager[] = [];

function setup(
  opts: {
    ttl?: number;
    session?: number;
    random?: Random;
    clock?: Clock;
    fake?: FakeClock;
    options?: Partial<SessionOptions>;
  } = {},
) {
  const fake = opts.fake ?? new FakeClock();
  const clock = opts.clock ?? fake;
  const auth = new FakeAuth(clock);
  if (opts.ttl !== undefined) auth.tokenTtlMs = opts.ttl;
  if (opts.session !== undefined) auth.sessionTtlMs = opts.session;
  const creds = new FakeCredentials();
  const mgr = new SessionManager({ auth, credentials: creds, clock, random: opts.random ?? seeded(), ...opts.options });
  managers.push(mgr);
  const events: Recorded[] = [];
  for (const name of ["login", "refresh", "adopt", "invalidate", "failure"] as const) {
    const record = (payload: unknown) => void events.push({ name, at: clock.now(), payload } as Recorded);
    mgr.on(name, record as never);
  }
  const count = (name: keyof SessionEvents) => events.filter((e) => e.name === name).length;
  /** Moves the fake clock to an absolute time, firing what falls due. */
  const advanceTo = (at: number) => fake.advance(Math.max(0, at - fake.now()));
  const nextAt = () => {
    const next = mgr.snapshot().next;
    assert.ok(next, "something should be scheduled");
    return next.at;
  };
  return { fake, clock, auth, creds, mgr, events, count, advanceTo, nextAt };
}

afterEach(() => {
  for (const m of managers.splice(0)) m.stop();
});

/** The secrets that must never leave the manager except through currentCookie()/waitForCookie(). */
function assertNoSecrets(auth: FakeAuth, what: unknown, label: string): void {
  const text = JSON.stringify(what) ?? "";
  assert.ok(!text.includes(PASSWORD), `${label} carries the password: ${text}`);
  for (const v of auth.issued) assert.ok(!text.includes(v), `${label} carries a cookie value: ${text}`);
}

async function expect503(p: Promise<unknown>): Promise<ProxyError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof ProxyError, `expected a ProxyError, got ${String(err)}`);
    assert.ok(HTTP_STATUS[err.code] === 503, `expected a 503 code, got ${err.code}`);
    return err;
  }
  assert.fail("expected waitForCookie() to reject");
}

function isPending(p: Promise<unknown>): () => boolean {
  let done = false;
  p.then(
    () => (done = true),
    () => (done = true),
  );
  return () => !done;
}

// ---- tests -------------------------------------------------------------------------------------

describe("SessionManager: login", () => {
  it("start logs in once with the user and password and becomes ready", async () => {
    const { auth, mgr, count } = setup();
    assert.equal(mgr.snapshot().state, "idle");
    assert.equal(mgr.currentCookie(), undefined);
    await mgr.start();
    await mgr.start();
    assert.equal(auth.logins, 1);
    assert.deepEqual(auth.users, [USER]);
    assert.deepEqual(auth.passwords, [PASSWORD]);
    assert.equal(mgr.currentCookie(), auth.last);
    assert.equal(await mgr.waitForCookie(), auth.last);
    const snap = mgr.snapshot();
    assert.equal(snap.state, "ready");
    assert.equal(snap.ready, true);
    assert.equal(snap.expirySource, "cookie");
    assert.equal(snap.counters.logins, 1);
    assert.equal(count("login"), 1);
  });

  it("many concurrent waitForCookie() calls during a slow login cause exactly one authenticate", async () => {
    const { auth, mgr } = setup();
    auth.loginMode = "hang";
    const started = mgr.start();
    const waiting = Array.from({ length: 50 }, () => mgr.waitForCookie());
    await settle();
    assert.equal(auth.logins, 1);
    assert.equal(auth.waiting, 1);
    assert.equal(mgr.snapshot().state, "logging-in");
    assert.equal(mgr.snapshot().ready, false);
    auth.release();
    await started;
    const got = await Promise.all(waiting);
    assert.equal(auth.logins, 1);
    assert.ok(got.every((c) => c === auth.last));
  });

  it("concurrent waitForCookie() calls on a cold manager also share one login", async () => {
    const { auth, mgr } = setup();
    auth.loginMode = "hang";
    const waiting = Array.from({ length: 20 }, () => mgr.waitForCookie());
    const started = mgr.start();
    await settle();
    auth.release();
    await started;
    assert.deepEqual(new Set(await Promise.all(waiting)), new Set([auth.last]));
    assert.equal(auth.logins, 1);
  });

  it("works with cookies that only carry Max-Age", async () => {
    const { auth, mgr, fake, advanceTo, nextAt } = setup({ ttl: 3_000, session: 3 * HOUR });
    auth.loginMode = "max-age";
    await mgr.start();
    assert.equal(mgr.snapshot().expirySource, "max-age");
    assert.equal(mgr.snapshot().tokenExpiresAt, fake.now() + 3_000);
    await advanceTo(nextAt());
    assert.equal(auth.refreshes, 1);
    assert.equal(mgr.currentCookie(), auth.last);
    assert.equal(auth.logins, 1);
  });
});

describe("SessionManager: refresh ahead of expiry", () => {
  for (const [label, ttl, session] of [
    ["30-minute", 30 * MIN, 3 * HOUR],
    ["3-second", 3_000, 60_000],
  ] as const) {
    it(`schedules the refresh at 67.5–75 % of the remaining life and fires it (${label} tokens)`, async () => {
      const { auth, mgr, fake, count, advanceTo, nextAt } = setup({ ttl, session });
      await mgr.start();
      for (let round = 0; round < 3; round++) {
        const now = fake.now();
        const snap = mgr.snapshot();
        assert.equal(snap.next?.action, "refresh");
        const remaining = (snap.tokenExpiresAt ?? 0) - now;
        assert.equal(remaining, ttl);
        const delay = nextAt() - now;
        assert.ok(
          delay >= Math.floor(remaining * 0.675) && delay <= Math.ceil(remaining * 0.75),
          `delay ${delay} of ${remaining}`,
        );
        const before = mgr.currentCookie();
        await advanceTo(nextAt() - 1);
        assert.equal(auth.refreshes, round, "not before it is due");
        assert.equal(mgr.currentCookie(), before);
        await fake.advance(1);
        assert.equal(auth.refreshes, round + 1);
        assert.equal(auth.refreshedWith.at(-1), before);
        assert.equal(mgr.currentCookie(), auth.last);
        assert.notEqual(auth.last, before);
      }
      assert.equal(auth.logins, 1);
      assert.equal(count("refresh"), 3);
      assert.equal(mgr.snapshot().counters.refreshes, 3);
    });
  }

  for (const [label, ttl, session, step] of [
    ["30-minute", 30 * MIN, 3 * HOUR, MIN],
    ["3-second", 3_000, 60_000, 100],
  ] as const) {
    it(`keeps a usable cookie through several token lifetimes with refreshes only (${label} tokens)`, async () => {
      const { auth, mgr, fake, count } = setup({ ttl, session });
      await mgr.start();
      const steps = Math.floor((5 * ttl) / step);
      for (let i = 0; i < steps; i++) {
        await fake.advance(step);
        assert.ok(mgr.currentCookie() !== undefined, `no usable cookie after ${(i + 1) * step} ms`);
      }
      assert.equal(auth.logins, 1);
      assert.ok(auth.refreshes >= 5, `only ${auth.refreshes} refreshes`);
      assert.equal(count("failure"), 0);
    });
  }
});

describe("SessionManager: session end", () => {
  for (const [label, ttl, session, step] of [
    ["30-minute tokens, 3-hour sessions", 30 * MIN, 3 * HOUR, MIN],
    ["3-second tokens, 10-second sessions", 3_000, 10_000, 50],
  ] as const) {
    it(`logs in again before the session end, with a usable cookie at every step (${label})`, async () => {
      const { auth, mgr, fake, count } = setup({ ttl, session });
      await mgr.start();
      const t0 = fake.now();
      const sessionEnds = new Set<number>();
      const steps = Math.floor((3 * session) / step);
      for (let i = 0; i < steps; i++) {
        await fake.advance(step);
        const snap = mgr.snapshot();
        const cookie = mgr.currentCookie();
        assert.ok(cookie !== undefined, `no usable cookie at +${fake.now() - t0} ms`);
        assert.equal(await mgr.waitForCookie(), cookie);
        assert.ok(snap.sessionExpiresAt !== undefined && fake.now() < snap.sessionExpiresAt, "past the session end");
        sessionEnds.add(snap.sessionExpiresAt);
      }
      assert.ok(sessionEnds.size >= 3, `only ${sessionEnds.size} sessions`);
      assert.equal(auth.logins, sessionEnds.size, "one login per session");
      assert.equal(count("failure"), 0, "never refreshed a dead token");
      assert.ok(auth.refreshes > 0);
    });
  }
});

describe("SessionManager: expiry on the request path", () => {
  it("never returns a known-expired cookie when timers stalled (laptop sleep); waitForCookie() logs in", async () => {
    const fake = new FakeClock();
    const clock = new SleepyClock(fake);
    const { auth, mgr } = setup({ fake, clock });
    await mgr.start();
    const old = mgr.currentCookie();
    assert.ok(old);
    clock.sleep(31 * MIN); // time moves, the refresh timer does not fire
    assert.equal(auth.refreshes, 0);
    assert.equal(mgr.currentCookie(), undefined);
    assert.equal(mgr.snapshot().ready, false);
    assert.notEqual(mgr.snapshot().state, "ready");
    const fresh = await mgr.waitForCookie();
    assert.equal(auth.logins, 2);
    assert.notEqual(fresh, old);
    assert.equal(fresh, auth.last);
    assert.equal(mgr.currentCookie(), fresh);
    // The stale timer was replaced: advancing does not refresh with the old cookie.
    await fake.advance(2 * HOUR);
    assert.ok(!auth.refreshedWith.includes(old));
    assert.equal(auth.logins, 2);
  });

  it("treats a token as expired a little early (skew) rather than sending it at the last moment", async () => {
    const fake = new FakeClock();
    const clock = new SleepyClock(fake);
    const { mgr } = setup({ fake, clock, ttl: 3_000, session: 60_000 });
    await mgr.start();
    clock.sleep(2_800); // 200 ms left of 3 s: inside the 10 % margin
    assert.equal(mgr.currentCookie(), undefined);
  });

  it("never returns the expired cookie while a refresh hangs; the refresh's failure leads to one login", async () => {
    const { auth, mgr, fake, count, advanceTo, nextAt } = setup();
    await mgr.start();
    const old = auth.last;
    const expiresAt = mgr.snapshot().tokenExpiresAt ?? 0;
    auth.refreshMode = "hang";
    await advanceTo(nextAt());
    assert.equal(auth.waiting, 1, "the refresh is in flight");
    assert.equal(mgr.snapshot().refreshing, true);
    for (let t = fake.now(); t < expiresAt + MIN; t += 10_000) {
      await advanceTo(t);
      const c = mgr.currentCookie();
      if (fake.now() >= expiresAt - 5_000) assert.equal(c, undefined, "expired cookie returned");
      else assert.equal(c, old);
    }
    assert.equal(mgr.currentCookie(), undefined);
    assert.equal(mgr.snapshot().ready, false);
    const asked = mgr.waitForCookie();
    const pending = isPending(asked);
    await settle();
    assert.ok(pending(), "waitForCookie() waits for the in-flight refresh (single flight)");
    assert.equal(auth.logins, 1);
    // The real client gives up after its timeout with a transient failure.
    auth.refreshMode = "ok";
    auth.release(new AuthFailure("transient", "API timeout", undefined));
    const fresh = await asked;
    assert.equal(auth.logins, 2);
    assert.equal(fresh, auth.last);
    assert.notEqual(fresh, old);
    assert.equal(count("failure"), 1);
  });
});

describe("SessionManager: 401 from the API", () => {
  it("reportUnauthorized(current) 20 times at once causes exactly one login", async () => {
    const { auth, mgr, count } = setup();
    await mgr.start();
    const used = auth.last;
    auth.loginMode = "hang";
    const retries = Array.from({ length: 20 }, () => mgr.reportUnauthorized(used));
    await settle();
    assert.equal(auth.logins, 2);
    assert.equal(mgr.currentCookie(), undefined, "the refused cookie is dropped at once");
    auth.release();
    const got = await Promise.all(retries);
    assert.equal(auth.logins, 2);
    assert.ok(got.every((c) => c === auth.last && c !== used));
    assert.equal(count("invalidate"), 1);
    assert.equal(mgr.snapshot().counters.unauthorized, 20);
  });

  it("reportUnauthorized(current) with an instant login still logs in once", async () => {
    const { auth, mgr } = setup();
    await mgr.start();
    const used = auth.last;
    const got = await Promise.all(Array.from({ length: 20 }, () => mgr.reportUnauthorized(used)));
    assert.equal(auth.logins, 2);
    assert.ok(got.every((c) => c === auth.last));
  });

  it("reportUnauthorized(old cookie) causes no login and answers with the current cookie", async () => {
    const { auth, mgr, advanceTo, nextAt, count } = setup();
    await mgr.start();
    const old = auth.last;
    await advanceTo(nextAt());
    assert.equal(auth.refreshes, 1);
    const current = auth.last;
    const got = await Promise.all(Array.from({ length: 5 }, () => mgr.reportUnauthorized(old)));
    assert.equal(auth.logins, 1);
    assert.ok(got.every((c) => c === current));
    assert.equal(count("invalidate"), 0);
  });

  it("a 401 for the cookie a refresh is replacing waits for the refresh instead of logging in", async () => {
    const { auth, mgr, advanceTo, nextAt } = setup();
    await mgr.start();
    const used = auth.last;
    auth.refreshMode = "hang";
    await advanceTo(nextAt());
    const retry = mgr.reportUnauthorized(used);
    await settle();
    auth.release();
    assert.equal(await retry, auth.last);
    assert.notEqual(auth.last, used);
    assert.equal(auth.logins, 1);
  });
});

describe("SessionManager: refresh failures", () => {
  it("a refresh answered 'expired' leads to a login", async () => {
    const { auth, mgr, events, advanceTo, nextAt } = setup();
    await mgr.start();
    const old = auth.last;
    auth.refreshMode = "expired";
    await advanceTo(nextAt());
    assert.equal(auth.refreshes, 1);
    assert.equal(auth.logins, 2);
    assert.notEqual(mgr.currentCookie(), old);
    assert.equal(mgr.currentCookie(), auth.last);
    const failure = events.find((e) => e.name === "failure");
    assert.ok(failure && failure.name === "failure");
    assert.equal(failure.payload.op, "refresh");
    assert.equal(failure.payload.kind, "expired");
    assert.equal(mgr.snapshot().state, "ready");
  });

  it("a transient refresh failure retries the refresh while the token still works", async () => {
    const { auth, mgr, advanceTo, nextAt } = setup();
    await mgr.start();
    const expiresAt = mgr.snapshot().tokenExpiresAt ?? 0;
    auth.refreshMode = "transient";
    await advanceTo(nextAt());
    assert.equal(auth.refreshes, 1);
    const next = mgr.snapshot().next;
    assert.equal(next?.action, "refresh");
    assert.ok(next && next.at < expiresAt);
    assert.ok(mgr.currentCookie());
    auth.refreshMode = "ok";
    await advanceTo(nextAt());
    assert.equal(auth.refreshes, 2);
    assert.equal(auth.logins, 1);
    assert.equal(mgr.snapshot().consecutiveFailures, 0);
  });
});

describe("SessionManager: refresh failures that persist", () => {
  for (const [label, ttl, session, step] of [
    ["30-minute", 30 * MIN, 3 * HOUR, 5_000],
    ["3-second", 3_000, 60_000, 100],
  ] as const) {
    it(`never retries a refresh faster than the shortest backoff, and logs in before the token runs out (${label} tokens)`, async () => {
      const { auth, mgr, fake } = setup({ ttl, session });
      await mgr.start();
      const firstExpiry = mgr.snapshot().tokenExpiresAt ?? 0;
      auth.refreshMode = "transient";
      while (fake.now() < firstExpiry + step) {
        await fake.advance(step);
        assert.ok(
          mgr.currentCookie() !== undefined,
          `no usable cookie at ${fake.now() - firstExpiry} ms from the first expiry`,
        );
      }
      assert.ok(auth.logins >= 2, "a login replaced the token the refresh could not extend");
      const gaps = auth.refreshTimes.slice(1).map((t, i) => t - auth.refreshTimes[i]!);
      assert.ok(
        gaps.every((g) => g >= 900),
        `refresh retried too fast: ${gaps.join(", ")}`,
      );
      assert.ok(auth.refreshes <= 20, `${auth.refreshes} refresh attempts`);
    });
  }
});

describe("SessionManager: clocks that disagree", () => {
  it("judges a fresh token whose claims are already past (API clock behind ours) by Max-Age, without a refresh loop", async () => {
    const { auth, mgr, fake } = setup();
    auth.skewMs = 40 * MIN;
    await mgr.start();
    assert.equal(mgr.currentCookie(), auth.last, "a token the API just issued is usable");
    assert.equal(mgr.snapshot().expirySource, "max-age");
    await fake.advance(1_000);
    assert.equal(auth.refreshes, 0, "no refresh right after the login");
    for (let i = 0; i < 120; i++) {
      await fake.advance(MIN);
      assert.ok(mgr.currentCookie() !== undefined, `no usable cookie after ${i + 1} min`);
    }
    assert.ok(auth.refreshes >= 4 && auth.refreshes <= 8, `${auth.refreshes} refreshes in 2 h`);
    assert.equal(auth.logins, 1);
  });
});

describe("SessionManager: backoff", () => {
  it("transient login failures back off exponentially with jitter, capped near 60 s, then recover", async () => {
    const { auth, mgr, fake, advanceTo, nextAt } = setup({ options: { policy: { loginWaitMs: 0 } } });
    auth.loginMode = "transient";
    await mgr.start();
    const delays: number[] = [];
    for (let i = 0; i < 10; i++) {
      const snap = mgr.snapshot();
      assert.equal(snap.state, "backoff");
      assert.equal(snap.next?.action, "login");
      assert.equal(snap.consecutiveFailures, i + 1);
      delays.push(nextAt() - fake.now());
      // No usable session meanwhile, and (loginWaitMs 0) no waiting for the retry: 503 at once, without a login.
      const before = auth.logins;
      await expect503(mgr.waitForCookie());
      assert.equal(auth.logins, before);
      await advanceTo(nextAt());
    }
    assert.equal(auth.logins, 11);
    for (const [i, d] of delays.entries()) {
      const base = Math.min(60_000, 1_000 * 2 ** i);
      assert.ok(d >= base * 0.9 && d <= base, `wait ${i + 1} is ${d}, expected 0.9–1 × ${base}`);
      assert.ok(d <= 60_000);
    }
    assert.ok(delays[0]! >= 900 && delays[0]! <= 1_000);
    assert.ok(
      delays.slice(0, 6).every((d, i) => i === 0 || d > delays[i - 1]!),
      `not growing: ${delays}`,
    );
    assert.ok(
      delays.slice(6).every((d) => d >= 54_000 && d <= 60_000),
      `not capped: ${delays}`,
    );
    assert.ok(new Set(delays.slice(6)).size > 1, "the capped waits are jittered");

    auth.loginMode = "ok";
    await advanceTo(nextAt());
    const snap = mgr.snapshot();
    assert.equal(snap.state, "ready");
    assert.equal(snap.consecutiveFailures, 0);
    assert.equal(snap.next?.action, "refresh");
    assert.equal(await mgr.waitForCookie(), auth.last);
  });
});

describe("SessionManager: requests waiting through a transient login failure", () => {
  // The soak's finding: one reset on a login failed every client waiting for it (503), though the
  // retry a second later logged in. Only injected faults may reach a client, and only unreplayable ones.
  it("one failed login after a 401: the 20 waiting requests all get the retry's cookie, one login each", async () => {
    const { auth, mgr, advanceTo, nextAt } = setup();
    await mgr.start();
    const used = auth.last;
    auth.loginMode = "hang";
    // The first drops the cookie; then both ways of waiting for a session queue behind the login.
    const first = mgr.reportUnauthorized(used);
    const rest = Array.from({ length: 19 }, (_, i) => (i % 2 ? mgr.reportUnauthorized(used) : mgr.waitForCookie()));
    const waiting = [first, ...rest];
    await settle();
    assert.equal(auth.logins, 2);
    auth.loginMode = "ok";
    auth.release(new AuthFailure("transient", "cannot reach the API: ECONNRESET socket hang up"));
    await settle();
    assert.equal(mgr.snapshot().state, "backoff");
    const pending = waiting.map(isPending);
    assert.ok(
      pending.every((p) => p()),
      "nobody is failed by the one reset",
    );
    await advanceTo(nextAt());
    const got = await Promise.all(waiting);
    assert.equal(auth.logins, 3, "the timer's retry is the only further login");
    assert.ok(got.every((c) => c === auth.last && c !== used));
  });

  it("a request arriving during the backoff waits for the retry; a second failure keeps it waiting within the budget", async () => {
    const { auth, mgr, fake, advanceTo, nextAt } = setup({ options: { policy: { loginWaitMs: 5_000 } } });
    auth.loginMode = "transient";
    await mgr.start();
    const arrived = fake.now();
    const waiting = mgr.waitForCookie();
    const pending = isPending(waiting);
    await advanceTo(nextAt()); // 2nd login fails too; the 3rd is due ~2 s later, still within 5 s
    assert.ok(pending());
    auth.loginMode = "ok";
    await advanceTo(nextAt());
    assert.equal(await waiting, auth.last);
    assert.ok(fake.now() - arrived <= 5_000);
    assert.equal(auth.logins, 3);
  });

  it("gives up at the budget's end with 503 when retries keep failing, and on stop()", async () => {
    const { auth, mgr, fake, advanceTo, nextAt } = setup({ options: { policy: { loginWaitMs: 2_500 } } });
    auth.loginMode = "transient";
    await mgr.start();
    const arrived = fake.now();
    const late = mgr.waitForCookie();
    const pending = isPending(late);
    for (let i = 0; i < 5 && pending(); i++) await advanceTo(nextAt());
    const err = await expect503(late);
    assert.equal(err.code, "NO_SESSION");
    assert.ok(fake.now() - arrived <= 2_500 + 4_000, "no wait beyond the retry that was due in the budget");
    const stopped = mgr.waitForCookie();
    await settle();
    mgr.stop();
    assert.equal((await expect503(stopped)).code, "SHUTTING_DOWN");
  });

  it("rejected credentials are not waited for: 503 at once", async () => {
    const { auth, mgr } = setup();
    auth.loginMode = "reject";
    await mgr.start();
    await expect503(mgr.waitForCookie());
    assert.equal(auth.logins, 1);
  });
});

describe("SessionManager: a refresh that fails over into a login", () => {
  it("reports the login, not a refresh, and does not reschedule an adopted cookie mid-login", async () => {
    const { auth, mgr, advanceTo, nextAt } = setup();
    await mgr.start();
    auth.refreshMode = "transient";
    auth.loginMode = "hang";
    // Transient refresh failures retry until the token is nearly out, then the same flight logs in.
    for (let i = 0; i < 50 && auth.waiting === 0; i++) await advanceTo(nextAt());
    assert.equal(auth.waiting, 1, "the failover login is in flight");
    const snap = mgr.snapshot();
    assert.equal(snap.refreshing, false, "a login is in flight, not a refresh");
    assert.equal(snap.next, undefined);

    const used = mgr.currentCookie() ?? auth.last;
    const rotated = encodeCookie(Date.now() + 30 * MIN, Date.now() + 3 * HOUR, 999);
    mgr.adopt(`nimbula=${rotated}; Path=/; Max-Age=1800`, used);
    assert.equal(mgr.snapshot().next, undefined, "the login in flight plans the next renewal when it lands");

    auth.release();
    await mgr.idle();
    assert.equal(mgr.snapshot().next?.action, "refresh");
  });
});

describe("SessionManager: rejected logins", () => {
  it("stops after 3 rejected attempts, then waits for the credentials to change (poll)", async () => {
    const { auth, creds, mgr, fake, events, advanceTo, nextAt } = setup();
    auth.loginMode = "reject";
    await mgr.start();
    assert.equal(auth.logins, 1);
    assert.equal(mgr.snapshot().state, "rejected");
    assert.equal(nextAt() - fake.now(), 10_000);
    const err1 = await expect503(mgr.waitForCookie());
    assert.ok(err1.message.includes(SOURCE), err1.message);
    assert.equal(auth.logins, 1, "waitForCookie() does not bypass the wait");
    await advanceTo(nextAt());
    assert.equal(auth.logins, 2);
    assert.equal(nextAt() - fake.now(), 30_000);
    await advanceTo(nextAt());
    assert.equal(auth.logins, 3);
    const snap = mgr.snapshot();
    assert.equal(snap.state, "blocked");
    assert.equal(snap.next?.action, "check-credentials");
    assert.ok(snap.reason?.includes(SOURCE), snap.reason);
    const failures = events.filter((e) => e.name === "failure");
    assert.equal(failures.length, 3);
    assert.deepEqual(
      failures.map((e) => e.name === "failure" && e.payload.blocked),
      [false, false, true],
    );

    for (let i = 0; i < 4; i++) {
      await fake.advance(15 * MIN);
      const errs = await Promise.all(Array.from({ length: 25 }, () => expect503(mgr.waitForCookie())));
      for (const err of errs) assert.ok(err.message.includes(SOURCE), err.message);
    }
    assert.equal(auth.logins, 3, "no login while blocked, however long and however often asked");
    assert.equal(mgr.snapshot().state, "blocked");
    assert.ok(creds.fingerprints > 10, "the password source is polled");

    creds.fp = "v2";
    auth.loginMode = "ok";
    await fake.advance(2_000);
    assert.equal(auth.logins, 4);
    assert.equal(mgr.snapshot().state, "ready");
    assert.equal(await mgr.waitForCookie(), auth.last);
  });

  it("while blocked, requests never read the password source: only the poll does, and it logs in", async () => {
    const { auth, creds, mgr, fake, advanceTo, nextAt } = setup({ options: { credentialPollMs: 60_000 } });
    auth.loginMode = "reject";
    await mgr.start();
    await advanceTo(nextAt());
    await advanceTo(nextAt());
    assert.equal(mgr.snapshot().state, "blocked");
    await fake.advance(1_000);
    creds.fp = "v2";
    auth.loginMode = "ok";
    const reads = creds.fingerprints;
    const errs = await Promise.all(Array.from({ length: 50 }, () => expect503(mgr.waitForCookie())));
    assert.ok(errs.every((e) => e.code === "NO_SESSION"));
    assert.equal(creds.fingerprints, reads, "fifty requests while blocked read the password source zero times");
    assert.equal(auth.logins, 3);

    await advanceTo(nextAt());
    assert.equal(creds.fingerprints, reads + 2, "one look by the poll, one by the login it starts");
    assert.equal(auth.logins, 4, "the poll noticed the change and logged in once");
    assert.equal(mgr.snapshot().state, "ready");
    const got = await Promise.all(Array.from({ length: 10 }, () => mgr.waitForCookie()));
    assert.ok(got.every((c) => c === auth.last));
  });

  it("a changed password that is rejected again gets a fresh set of attempts, not a hammering", async () => {
    const { auth, creds, mgr, fake, advanceTo, nextAt } = setup();
    auth.loginMode = "reject";
    await mgr.start();
    await advanceTo(nextAt());
    await advanceTo(nextAt());
    assert.equal(auth.logins, 3);
    creds.fp = "v2";
    await fake.advance(HOUR);
    assert.equal(auth.logins, 6);
    assert.equal(mgr.snapshot().state, "blocked");
  });

  it("an unreadable password file blocks at once, without calling the API, until it changes", async () => {
    const { auth, creds, mgr, fake } = setup();
    creds.failWith = new ProxyError(
      "PASSWORD_FILE",
      "password file /run/secrets/opc-password cannot be read: no such file",
    );
    await mgr.start();
    assert.equal(auth.logins, 0);
    assert.equal(mgr.snapshot().state, "blocked");
    await fake.advance(10 * MIN);
    assert.equal(auth.logins, 0);
    creds.failWith = undefined;
    creds.fp = "v2";
    await fake.advance(2_000);
    assert.equal(auth.logins, 1);
    assert.equal(mgr.snapshot().state, "ready");
  });
});

describe("SessionManager: adopt", () => {
  it("takes a newer cookie only from a response made with the current one", async () => {
    const { auth, mgr, count } = setup();
    await mgr.start();
    const a = auth.last;
    mgr.adopt(["other=1; Path=/"], a);
    mgr.adopt(undefined, a);
    mgr.adopt([`nimbula=${a}; Path=/; Max-Age=1800`], a);
    assert.equal(mgr.currentCookie(), a);
    assert.equal(mgr.snapshot().counters.adopted, 0);

    mgr.adopt(["nimbula=rotated+B/==; Path=/; Max-Age=1800"], a);
    assert.equal(mgr.currentCookie(), "rotated+B/==");
    assert.equal(mgr.snapshot().counters.adopted, 1);
    // A slow response to a request made with the old cookie cannot bring back an older one.
    mgr.adopt(["nimbula=stale-C; Path=/; Max-Age=1800"], a);
    assert.equal(mgr.currentCookie(), "rotated+B/==");
    assert.equal(mgr.snapshot().counters.adopted, 1);
    assert.equal(count("adopt"), 1);
    assert.equal(auth.logins, 1);
    assert.equal(mgr.snapshot().next?.action, "refresh");
  });
});

describe("SessionManager: stop", () => {
  it("cancels timers and starts nothing afterwards", async () => {
    const { auth, mgr, fake } = setup();
    await mgr.start();
    assert.ok(fake.pending > 0);
    mgr.stop();
    assert.equal(fake.pending, 0);
    assert.equal(mgr.snapshot().next, undefined);
    await fake.advance(5 * HOUR);
    assert.equal(auth.refreshes, 0);
    assert.equal(auth.logins, 1);
    const err = await expect503(mgr.waitForCookie());
    assert.equal(err.code, "SHUTTING_DOWN");
    assert.equal(auth.logins, 1);
    assert.equal(mgr.snapshot().state, "stopped");
  });

  it("ignores a login that finishes after stop", async () => {
    const { auth, mgr, fake } = setup();
    auth.loginMode = "hang";
    const started = mgr.start();
    await settle();
    mgr.stop();
    auth.release();
    await started;
    assert.equal(mgr.currentCookie(), undefined);
    assert.equal(fake.pending, 0);
  });
});

describe("SessionManager: secrets stay secret", () => {
  it("events and snapshots never carry the cookie value or the password", async () => {
    const { auth, mgr, events, fake, advanceTo, nextAt } = setup();
    const snaps: unknown[] = [mgr.snapshot()];
    const look = () => snaps.push(mgr.snapshot());

    auth.loginMode = "transient";
    await mgr.start(); // failure (transient login)
    look();
    auth.loginMode = "ok";
    await advanceTo(nextAt()); // login
    look();
    await advanceTo(nextAt()); // refresh
    look();
    await mgr.reportUnauthorized(auth.last); // invalidate + login
    look();
    mgr.adopt(["nimbula=adopted+value/==; Path=/"], auth.last); // adopt
    look();
    auth.refreshMode = "expired";
    await advanceTo(nextAt()); // failure (refresh expired) + login
    look();
    auth.refreshMode = "ok";
    auth.loginMode = "reject";
    await expect503(mgr.reportUnauthorized(auth.last)); // invalidate + rejected login
    look();
    await advanceTo(nextAt());
    await advanceTo(nextAt()); // blocked
    look();
    await expect503(mgr.waitForCookie()).then((err) => snaps.push({ message: err.message, body: err.toBody() }));
    await fake.advance(MIN);
    mgr.stop();
    look();

    for (const name of ["login", "refresh", "failure", "invalidate", "adopt"] as const) {
      assert.ok(
        events.some((e) => e.name === name),
        `no ${name} event was emitted`,
      );
    }
    auth.issued.push("adopted+value/==");
    for (const e of events) assertNoSecrets(auth, e.payload, `${e.name} event`);
    for (const [i, s] of snaps.entries()) assertNoSecrets(auth, s, `snapshot ${i}`);
  });
});
