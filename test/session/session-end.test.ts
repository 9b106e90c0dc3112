// Covers SessionManager's `renewSession: false` (client identity mode): at the session end it stops
// and emits "end" instead of logging in again; a 401 within the session's life still re-logs in.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Clock } from "../../src/clock.js";
import { ProxyError } from "../../src/errors.js";
import type { AuthClient } from "../../src/session/api-auth.js";
import type { IssuedCookie } from "../../src/session/cookie.js";
import { staticCredentials } from "../../src/session/credentials.js";
import { SessionManager } from "../../src/session/manager.js";
import { FakeClock } from "../support/fake-clock.js";

const MIN = 60_000;
const HOUR = 60 * MIN;
const USER = "/Compute-acme/jack.jones@example.com";

/** Tokens of 30 min (Max-Age only), sessions of 3 h from login, as the API issues them. */
class MaxAgeAuth implements AuthClient {
  logins = 0;
  refreshes = 0;
  private seq = 0;
  private readonly sessionEnd = new Map<string, number>();
  constructor(private readonly clock: Clock) {}
  async authenticate(): Promise<IssuedCookie> {
    this.logins++;
    return this.issue(this.clock.now() + 3 * HOUR);
  }
  async refresh(cookie: string): Promise<IssuedCookie> {
    this.refreshes++;
    const end = this.sessionEnd.get(cookie);
    if (end === undefined || this.clock.now() >= end) throw new Error("expired");
    return this.issue(end);
  }
  private issue(end: number): IssuedCookie {
    const value = `token-${++this.seq}`;
    this.sessionEnd.set(value, end);
    const maxAgeSeconds = Math.floor(Math.min(30 * MIN, end - this.clock.now()) / 1000);
    return { value, maxAgeSeconds, status: 204 };
  }
}

function setup(renewSession: boolean | undefined) {
  const clock = new FakeClock(Date.UTC(2026, 0, 1));
  const auth = new MaxAgeAuth(clock);
  const session = new SessionManager({
    auth,
    credentials: staticCredentials(USER, "pw", "the test"),
    clock,
    random: () => 0.5,
    ...(renewSession === undefined ? {} : { renewSession }),
  });
  const ends: string[] = [];
  session.on("end", (e) => ends.push(e.reason));
  return { clock, auth, session, ends };
}

describe("SessionManager renewSession", () => {
  const rows = [
    { name: "default: logs in again at the session end", renewSession: undefined, logins: 2, ends: 0 },
    { name: "false: stops and emits end once at the session end", renewSession: false, logins: 1, ends: 1 },
  ];
  for (const row of rows) {
    it(row.name, async () => {
      const { clock, auth, session, ends } = setup(row.renewSession);
      await session.start();
      await clock.advance(3 * HOUR + 5 * MIN);
      assert.equal(auth.logins, row.logins);
      assert.ok(auth.refreshes >= 5, `refreshed ahead of expiry (${auth.refreshes})`);
      assert.equal(ends.length, row.ends);
      assert.equal(session.currentCookie() !== undefined, row.ends === 0);
      session.stop();
    });
  }

  it("false: after the end, waiting for a cookie says the session ended and logs in no more", async () => {
    const { clock, auth, session } = setup(false);
    await session.start();
    await clock.advance(3 * HOUR + MIN);
    await assert.rejects(session.waitForCookie(), (err: unknown) => {
      assert.ok(err instanceof ProxyError && err.code === "NO_SESSION" && /ended/.test(err.message), String(err));
      return true;
    });
    assert.equal(auth.logins, 1);
  });

  it("false: a 401 within the session's life still re-logs in once, without ending", async () => {
    const { clock, auth, session, ends } = setup(false);
    await session.start();
    await clock.advance(HOUR);
    const used = session.currentCookie()!;
    const [a, b] = await Promise.all([session.reportUnauthorized(used), session.reportUnauthorized(used)]);
    assert.equal(a, b);
    assert.equal(auth.logins, 2);
    assert.deepEqual(ends, []);
    session.stop();
  });
});
