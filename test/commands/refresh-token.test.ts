// The `refresh_token` command against the simulator on a shared fake clock: a refresh extends the
// expiry (never past the session end), an expired token or an ended session exits 1 with the session
// end time and a pointer to `auth`, --quiet only updates --cookie-file, and usage errors exit 2.

import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { authCommand } from "../../src/commands/auth.js";
import { refreshTokenCommand } from "../../src/commands/refresh-token.js";
import { decodeClaims } from "../../src/session/cookie.js";
import { parseCookieFile } from "../../src/session/cookie-file.js";
import { startSimulator, type RunningSimulator } from "../../src/simulator/index.js";
import { FakeClock } from "../support/fake-clock.js";
import { PASSWORD, USER, V3, send } from "../support/stack.js";
import { exportedValue, fakeIO } from "../support/io.js";

const MIN = 60_000;

describe("refresh_token command", () => {
  const clock = new FakeClock();
  const now = () => clock.now();
  const auth = authCommand({ now });
  const refresh = refreshTokenCommand({ now });
  let sim: RunningSimulator;
  let dir: string;
  let pwFile: string;
  let n = 0;

  before(async () => {
    // 30-minute tokens in a 40-minute session, so the session end is reached in a few steps.
    sim = await startSimulator({
      users: [{ user: USER, password: PASSWORD }],
      clock,
      tokenTtlSeconds: 1800,
      sessionTtlSeconds: 2400,
    });
    dir = await mkdtemp(join(tmpdir(), "opc-refresh-"));
    pwFile = join(dir, "password");
    await writeFile(pwFile, `${PASSWORD}\n`, { mode: 0o600 });
  });
  after(async () => {
    await sim.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function login(extra: string[] = []): Promise<{ value: string; at: number }> {
    const f = fakeIO({ env: { OPC_API: sim.url } });
    assert.equal(await auth([USER, pwFile, ...extra], f.io), 0, f.err());
    return { value: exportedValue(f.out()), at: clock.now() };
  }

  const expiresAt = (value: string): number => decodeClaims(value).expiresAt!;

  it("extends the token from OPC_COOKIE and prints the new export line", async () => {
    const first = await login();
    assert.equal(expiresAt(first.value), first.at + 30 * MIN);
    await clock.advance(10 * MIN);
    const f = fakeIO({ env: { OPC_API: sim.url, OPC_COOKIE: first.value } });
    assert.equal(await refresh([], f.io), 0, f.err());
    const fresh = exportedValue(f.out());
    assert.notEqual(fresh, first.value);
    assert.equal(
      expiresAt(fresh),
      first.at + 40 * MIN,
      "30 minutes from the refresh, capped at the 40-minute session end",
    );
    assert.ok(expiresAt(fresh) > expiresAt(first.value));
    assert.match(f.err(), /cannot be extended further: run opc-auth-proxy auth/);
    assert.ok(!f.err().includes(fresh) && !f.err().includes(first.value), "no cookie on standard error");
    const r = await send(sim.url, "GET", "/shape/", { headers: { cookie: `nimbula=${fresh}`, accept: V3 } });
    assert.equal(r.status, 200);
  });

  it("after the session end: exit 1 with the end time and a pointer to auth", async () => {
    const first = await login();
    await clock.advance(25 * MIN);
    const f = fakeIO({ env: { OPC_API: sim.url, OPC_COMPUTE_COOKIE: first.value } });
    assert.equal(await refresh([], f.io), 0, f.err());
    const last = exportedValue(f.out());
    await clock.advance(16 * MIN);
    const g = fakeIO({ env: { OPC_API: sim.url, OPC_COOKIE: last } });
    assert.equal(await refresh([], g.io), 1);
    assert.equal(g.out(), "");
    const end = new Date(first.at + 40 * MIN).toISOString();
    assert.ok(g.err().includes(`the session is over: it ended at ${end}`), g.err());
    assert.match(g.err(), /opc-auth-proxy auth \/Compute-acme\/jack\.jones@example\.com PASSWORD_FILE/);
    assert.ok(!g.err().includes(last));
  });

  it("a token that has already expired: exit 1 with its expiry and the session end", async () => {
    const first = await login();
    await clock.advance(31 * MIN);
    const f = fakeIO({ env: { OPC_API: sim.url, OPC_COOKIE: first.value } });
    assert.equal(await refresh([], f.io), 1);
    assert.ok(f.err().includes(`has already expired, at ${new Date(first.at + 30 * MIN).toISOString()}`), f.err());
    assert.ok(f.err().includes(`its session ends at ${new Date(first.at + 40 * MIN).toISOString()}`), f.err());
    assert.match(f.err(), /run opc-auth-proxy auth/);
  });

  it("--cookie-file: reads the token and the API from the file, writes the new one back; --quiet prints nothing", async () => {
    const path = join(dir, `cookies-${++n}`);
    const first = await login(["--cookie-file", path]);
    await clock.advance(5 * MIN);
    const f = fakeIO({ env: {} });
    assert.equal(await refresh(["--cookie-file", path, "--quiet"], f.io), 0, f.err());
    assert.equal(f.out(), "");
    assert.equal(f.err(), "");
    const saved = parseCookieFile(await readFile(path, "utf8"));
    const value = saved.cookies[0]!.value;
    assert.notEqual(value, first.value);
    assert.equal(expiresAt(value), first.at + 35 * MIN);
    assert.equal(saved.user, USER);
    assert.equal(saved.cookies[0]!.expiresAt, Math.floor((first.at + 35 * MIN) / 1000) * 1000);
    assert.equal((await stat(path)).mode & 0o777, 0o600);
  });

  it("--cookie-file without a token in it: refreshes OPC_COOKIE and creates the file", async () => {
    const path = join(dir, `cookies-${++n}`);
    const first = await login();
    const f = fakeIO({ env: { OPC_API: sim.url, OPC_COOKIE: `nimbula=${first.value}` } });
    assert.equal(await refresh(["--cookie-file", path], f.io), 0, f.err());
    const saved = parseCookieFile(await readFile(path, "utf8"));
    assert.equal(saved.cookies[0]!.value, exportedValue(f.out()));
    assert.equal(saved.user, USER, "the user comes from the cookie's claims");
  });

  it("bad usage exits 2 naming each problem", async () => {
    const f = fakeIO({ env: {} });
    assert.equal(await refresh(["--quiet", "--timeout", "soon"], f.io), 2);
    for (const want of [
      /--quiet needs --cookie-file/,
      /--timeout: "soon" is not a duration/,
      /--api \(OPC_API\) is required/,
    ]) {
      assert.match(f.err(), want);
    }
    const g = fakeIO({ env: { OPC_API: sim.url } });
    assert.equal(await refresh([], g.io), 2);
    assert.match(g.err(), /no token to refresh: set OPC_COOKIE/);
  });

  it("a forged token: exit 1 saying the API refused it", async () => {
    const f = fakeIO({ env: { OPC_API: sim.url, OPC_COOKIE: "bm90LWEtdG9rZW4=" } });
    assert.equal(await refresh([], f.io), 1);
    assert.match(
      f.err(),
      /the API refused the token from OPC_COOKIE.*Authorization token is invalid.*opc-auth-proxy auth/,
    );
  });

  it("shows help with examples, exit 0", async () => {
    const f = fakeIO();
    assert.equal(await refresh(["--help"], f.io), 0);
    assert.match(f.out(), /eval "\$\(opc-auth-proxy refresh_token\)"/);
  });
});
