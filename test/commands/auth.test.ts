// The `auth` command against the simulator: a login from a password file and from standard input
// prints exactly one export line, wrong credentials exit 1 with the API's message, bad usage exits
// 2 naming every problem, --cookie-file is written, and no secret reaches standard error.

import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { authCommand } from "../../src/commands/auth.js";
import { shellQuote } from "../../src/commands/shell-export.js";
import { decodeClaims } from "../../src/session/cookie.js";
import { parseCookieFile } from "../../src/session/cookie-file.js";
import { startSimulator, type RunningSimulator } from "../../src/simulator/index.js";
import { FakeClock } from "../support/fake-clock.js";
import { PASSWORD, USER, V3, send } from "../support/stack.js";
import { exportedValue, fakeIO } from "../support/io.js";

describe("auth command", () => {
  const clock = new FakeClock();
  const auth = authCommand({ now: () => clock.now() });
  let sim: RunningSimulator;
  let dir: string;
  let pwFile: string;
  let env: NodeJS.ProcessEnv;

  before(async () => {
    sim = await startSimulator({ users: [{ user: USER, password: PASSWORD }], clock });
    dir = await mkdtemp(join(tmpdir(), "opc-auth-"));
    pwFile = join(dir, "password");
    await writeFile(pwFile, `${PASSWORD}\n`, { mode: 0o600 });
    env = { OPC_API: sim.url };
  });
  after(async () => {
    await sim.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** The cookie is one the API accepts: a resource call with it succeeds. */
  async function assertAccepted(value: string): Promise<void> {
    const r = await send(sim.url, "GET", "/shape/", { headers: { cookie: `nimbula=${value}`, accept: V3 } });
    assert.equal(r.status, 200, r.text);
  }

  function assertNoSecrets(stderr: string, value?: string): void {
    assert.ok(!stderr.includes(PASSWORD), "the password never reaches standard error");
    if (value) assert.ok(!stderr.includes(value), "the cookie never reaches standard error");
  }

  it("logs in with a password file and prints exactly one export line", async () => {
    const f = fakeIO({ env });
    const logins = sim.simulator.counters().logins;
    assert.equal(await auth([USER, pwFile], f.io), 0, f.err());
    const value = exportedValue(f.out());
    assert.equal(decodeClaims(value).user, USER);
    await assertAccepted(value);
    assert.equal(sim.simulator.counters().logins, logins + 1);
    assert.match(f.err(), /logged in as \/Compute-acme\/jack\.jones@example\.com/);
    assert.match(f.err(), /session ends at 2026-11-28T15:00:00\.000Z/);
    assertNoSecrets(f.err(), value);
  });

  it("reads the password from standard input with -, and takes OPC_ENDPOINT and --api", async () => {
    const f = fakeIO({ env: { OPC_ENDPOINT: sim.url }, stdin: [`${PASSWORD}\n`, "ignored second line\n"] });
    assert.equal(await auth([USER, "-"], f.io), 0, f.err());
    await assertAccepted(exportedValue(f.out()));
    assertNoSecrets(f.err());

    const g = fakeIO({ env: { OPC_API: "http://127.0.0.1:9/nowhere" }, stdin: [PASSWORD] });
    assert.equal(await auth(["--api", sim.url, USER, "-"], g.io), 0, g.err());
    await assertAccepted(exportedValue(g.out()));
  });

  it("exits 1 with the API's message on a wrong password, printing nothing on stdout", async () => {
    const bad = join(dir, "wrong");
    await writeFile(bad, "not-the-password\n", { mode: 0o600 });
    const f = fakeIO({ env });
    assert.equal(await auth([USER, bad], f.io), 1);
    assert.equal(f.out(), "");
    assert.match(f.err(), /Incorrect username or password/);
    assert.ok(!f.err().includes("not-the-password"));

    const g = fakeIO({ env, stdin: ["typed-wrong\n"] });
    assert.equal(await auth([USER, "-"], g.io), 1);
    assert.equal(g.out(), "");
    assert.ok(!g.err().includes("typed-wrong"));
  });

  it("exits 2 with the usage line, naming every problem at once", async () => {
    const open = join(dir, "open");
    await writeFile(open, `${PASSWORD}\n`, { mode: 0o644 });
    const f = fakeIO({ env: {} });
    assert.equal(await auth(["jack", open, "extra", "--bogus"], f.io), 2);
    assert.equal(f.out(), "");
    for (const want of [
      /--bogus/,
      /"extra"/,
      /USER: "jack" is not a Compute user/,
      /chmod 600/,
      /--api \(OPC_API\) is required/,
      /^Usage: opc-auth-proxy auth \[USER \[PASSWORD_FILE\|-\]\]/m,
    ]) {
      assert.match(f.err(), want);
    }
    assertNoSecrets(f.err());

    const g = fakeIO({ env });
    assert.equal(await auth([USER], g.io), 2);
    assert.match(g.err(), /USER and PASSWORD_FILE/);

    const h = fakeIO({ env });
    assert.equal(await auth([USER, "-"], h.io), 2, "an empty standard input is bad usage");
    assert.match(h.err(), /no password was given on standard input/);
  });

  it("exits 1 when the API cannot be reached", async () => {
    const f = fakeIO({ env: { OPC_API: "http://127.0.0.1:1" } });
    assert.equal(await auth([USER, pwFile, "--timeout", "2s"], f.io), 1);
    assert.match(f.err(), /cannot reach the API at http:\/\/127\.0\.0\.1:1/);
  });

  it("writes --cookie-file with mode 600", async () => {
    const path = join(dir, "cookies.txt");
    const f = fakeIO({ env });
    assert.equal(await auth([USER, pwFile, "--cookie-file", path], f.io), 0, f.err());
    const value = exportedValue(f.out());
    assert.equal((await stat(path)).mode & 0o777, 0o600);
    const content = parseCookieFile(await readFile(path, "utf8"));
    assert.equal(content.user, USER);
    assert.equal(content.cookies.length, 1);
    assert.equal(content.cookies[0]!.value, value);
    assert.equal(content.cookies[0]!.domain, "127.0.0.1");
  });

  it("shows help with examples and the version, exit 0", async () => {
    const f = fakeIO();
    assert.equal(await auth(["--help"], f.io), 0);
    assert.match(
      f.out(),
      /eval "\$\(opc-auth-proxy auth \/Compute-acme\/jack\.jones@example\.com ~\/\.opc\/password\)"/,
    );
    const g = fakeIO();
    assert.equal(await auth(["--version"], g.io), 0);
    assert.match(g.out(), /^opc-auth-proxy \d+\.\d+\.\d+/);
  });

  it("quotes a value holding ' for the shell", () => {
    assert.equal(shellQuote(`{"user":"/Compute-acme/o'brien"}`), `'{"user":"/Compute-acme/o'\\''brien"}'`);
  });
});
