// `serve --cookie-file` and OPC_COOKIE end to end (real proxy, real simulator, one fake clock): the
// file is kept up to date (Netscape format, mode 600) after login and refresh, a restart takes over
// the session without a login, and a cookie of another user or a revoked one leads to a fresh login.

import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { assemble, type RunningProxy } from "../../src/assemble.js";
import { staticCredentials } from "../../src/session/credentials.js";
import { createLogger } from "../../src/log.js";
import { parseCookieFile, type CookieFileContent } from "../../src/session/cookie-file.js";
import { startSimulator, type RunningSimulator } from "../../src/simulator/index.js";
import { FakeClock } from "../support/fake-clock.js";
import { PASSWORD, USER, V3, events, send } from "../support/stack.js";
import { logSink, testSettings } from "../support/settings.js";

const MIN = 60_000;

/** Polls (bounded, 10 ms steps) until `fn` gives a value. */
async function until<T>(what: string, fn: () => Promise<T | undefined>): Promise<T> {
  for (let i = 0; i < 300; i++) {
    const v = await fn();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function readSaved(path: string): Promise<CookieFileContent | undefined> {
  try {
    return parseCookieFile(await readFile(path, "utf8"));
  } catch {
    return undefined;
  }
}

describe("serve --cookie-file and OPC_COOKIE", () => {
  // Real time at the start, so curl (which drops expired cookies by the wall clock) accepts the file.
  const clock = new FakeClock(Date.now());
  let sim: RunningSimulator;
  let dir: string;
  let n = 0;
  const running: RunningProxy[] = [];

  before(async () => {
    sim = await startSimulator({ users: [{ user: USER, password: PASSWORD }], clock });
    dir = await mkdtemp(join(tmpdir(), "opc-cookie-file-"));
  });
  after(async () => {
    for (const p of running) await p.shutdown(50);
    await sim.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** One proxy in front of the shared simulator, started the way `serve` starts it. */
  async function startProxy(opts: { cookieFile?: string; env?: NodeJS.ProcessEnv; user?: string }) {
    const { lines: logs, stream: sink } = logSink();
    const proxy = await assemble(testSettings(sim.url, { cookieFile: opts.cookieFile }), {
      credentials: staticCredentials(opts.user ?? USER, PASSWORD, "the test password"),
      log: createLogger("debug", sink),
      clock,
      random: () => 0.5,
      env: opts.env,
    });
    running.push(proxy);
    await proxy.session.start();
    return { proxy, logs };
  }

  const stop = async (proxy: RunningProxy) => {
    await proxy.shutdown(50);
    running.splice(running.indexOf(proxy), 1);
  };

  /** Waits until the file holds the session's current cookie. */
  const fileHolds = (path: string, proxy: RunningProxy) =>
    until("the cookie file", async () => {
      const saved = await readSaved(path);
      const current = proxy.session.currentCookie();
      return saved && current !== undefined && saved.cookies[0]?.value === current ? saved : undefined;
    });

  const logins = () => sim.simulator.counters().logins;

  it("keeps the file up to date after login and refresh, mode 600, readable by curl -b", async () => {
    const path = join(dir, `cookies-${++n}.txt`);
    const { proxy, logs } = await startProxy({ cookieFile: path });
    const saved = await fileHolds(path, proxy);
    const text = await readFile(path, "utf8");
    assert.equal((await stat(path)).mode & 0o777, 0o600);
    assert.match(text, /^# Netscape HTTP Cookie File\n/);
    assert.match(text, /^# user: \/Compute-acme\/jack\.jones@example\.com$/m);
    const line = text.split("\n").find((l) => !l.startsWith("#") && l !== "")!;
    const [domain, sub, p, secure, expiry, name, value] = line.split("\t");
    assert.deepEqual([domain, sub, p, secure, name], ["127.0.0.1", "FALSE", "/", "FALSE", "nimbula"]);
    assert.equal(value, proxy.session.currentCookie());
    assert.equal(Number(expiry), Math.floor(proxy.session.snapshot().tokenExpiresAt! / 1000));
    assert.equal(saved.user, USER);

    // curl reads it as a cookie jar and the API accepts what it sends.
    const curl = await new Promise<{ code: number | null; out: string } | undefined>((resolve) => {
      const child = execFile(
        "curl",
        ["-s", "-o", "/dev/null", "-w", "%{http_code}", "-b", path, "-H", `Accept: ${V3}`, `${sim.url}/shape/`],
        (err, out) =>
          resolve(err && (err as NodeJS.ErrnoException).code === "ENOENT" ? undefined : { code: child.exitCode, out }),
      );
    });
    if (curl) assert.equal(curl.out, "200", "curl -b FILE sends the cookie");

    const before = value!;
    const refreshes = sim.simulator.counters().refreshes;
    await clock.advance(25 * MIN);
    await fileHolds(path, proxy);
    assert.ok(sim.simulator.counters().refreshes > refreshes, "the proxy refreshed");
    assert.notEqual((await readSaved(path))!.cookies[0]!.value, before, "the file follows the refresh");
    assert.ok(!logs.some((l) => l.includes(before)), "no log line carries the cookie");
    await stop(proxy);
  });

  it("a restart takes over the session from the file: no new login", async () => {
    const path = join(dir, `cookies-${++n}.txt`);
    const first = await startProxy({ cookieFile: path });
    await fileHolds(path, first.proxy);
    await stop(first.proxy);

    const count = logins();
    const second = await startProxy({ cookieFile: path });
    assert.equal(second.proxy.session.snapshot().ready, true);
    assert.equal(logins(), count, "the second start cost no login");
    assert.equal(events(second.logs, "resumed").length, 1);
    const snap = second.proxy.session.snapshot();
    assert.equal(snap.lastLoginAt, undefined, "status does not claim a login that did not happen");
    assert.ok(snap.resumedAt !== undefined);
    const r = await send(second.proxy.url, "GET", "/shape/", { headers: { accept: V3 } });
    assert.equal(r.status, 200, r.text);
    await fileHolds(path, second.proxy);
    await stop(second.proxy);
  });

  it("a revoked cookie in the file: the resume is refused and the proxy logs in", async () => {
    const path = join(dir, `cookies-${++n}.txt`);
    const first = await startProxy({ cookieFile: path });
    await fileHolds(path, first.proxy);
    await stop(first.proxy);
    sim.simulator.revokeAll();

    const count = logins();
    const second = await startProxy({ cookieFile: path });
    assert.equal(second.proxy.session.snapshot().ready, true, "start() waited for the refused resume, then logged in");
    assert.equal(logins(), count + 1);
    assert.equal(events(second.logs, "resume_refused").length, 1);
    await fileHolds(path, second.proxy);
    await stop(second.proxy);
  });

  it("a cookie file of another user or another API is not reused", async () => {
    const path = join(dir, `cookies-${++n}.txt`);
    const first = await startProxy({ cookieFile: path });
    await fileHolds(path, first.proxy);
    await stop(first.proxy);
    const original = await readFile(path, "utf8");

    await writeFile(path, original.replace(/^# user: .*$/m, "# user: /Compute-acme/someone.else@example.com"), {
      mode: 0o600,
    });
    let count = logins();
    const second = await startProxy({ cookieFile: path });
    assert.equal(logins(), count + 1);
    assert.match(
      events(second.logs, "resume_skipped")[0]!.msg as string,
      /belongs to \/Compute-acme\/someone\.else@example\.com/,
    );
    await fileHolds(path, second.proxy); // its write must not land after the edit below
    await stop(second.proxy);

    await writeFile(path, original.replace(/^# api: .*$/m, "# api: https://compute.example.com"), { mode: 0o600 });
    count = logins();
    const third = await startProxy({ cookieFile: path });
    assert.equal(logins(), count + 1);
    assert.match(events(third.logs, "resume_skipped")[0]!.msg as string, /it is for https:\/\/compute\.example\.com/);
    await stop(third.proxy);
  });

  it("OPC_COOKIE of the same user hands over a session; another user's is ignored", async () => {
    const first = await startProxy({});
    const value = first.proxy.session.currentCookie()!;
    await stop(first.proxy);

    let count = logins();
    const second = await startProxy({ env: { OPC_COOKIE: value } });
    assert.equal(logins(), count, "no login");
    assert.equal(events(second.logs, "resumed")[0]!.from, "OPC_COOKIE");
    await stop(second.proxy);

    sim.simulator.setPassword("/Compute-acme/other@example.com", PASSWORD);
    count = logins();
    const third = await startProxy({ env: { OPC_COMPUTE_COOKIE: value }, user: "/Compute-acme/other@example.com" });
    assert.equal(logins(), count + 1, "a cookie of another user is never taken over");
    assert.equal(third.proxy.session.snapshot().user, "/Compute-acme/other@example.com");
    await stop(third.proxy);
  });

  it("a cookie file that cannot be written is logged, naming the path, and the proxy carries on", async () => {
    const path = join(dir, "no-such-dir", "cookies.txt");
    const { proxy, logs } = await startProxy({ cookieFile: path });
    const failed = await until("the failure log", async () => events(logs, "cookie_file_failed")[0]);
    assert.ok((failed.msg as string).includes(path), failed.msg as string);
    assert.equal(failed.path, path);
    const r = await send(proxy.url, "GET", "/shape/", { headers: { accept: V3 } });
    assert.equal(r.status, 200);
    await stop(proxy);
  });
});
