// The `simulate` command: every flag problem reported at once, password file checks, users file,
// and a run that serves until the signal aborts.

import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync, chmodSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { simulate } from "../../src/commands/simulate.js";
import { DEMO_PASSWORD, DEMO_USER } from "../../src/simulator/index.js";
import { login } from "../support/simulator.js";
import { fakeIO } from "../support/io.js";

/** Waits (bounded) until the command has printed its URL. */
async function urlFrom(out: () => string): Promise<string> {
  for (let i = 0; i < 200; i++) {
    const m = /listening on (http:\/\/\S+)/.exec(out());
    if (m) return m[1]!;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`no URL printed: ${out()}`);
}

describe("simulate command", () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "sim-cmd-"));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const file = (name: string, text: string, mode = 0o600) => {
    const p = join(dir, name);
    writeFileSync(p, text);
    chmodSync(p, mode);
    return p;
  };

  it("prints help", async () => {
    const f = fakeIO();
    assert.equal(await simulate(["--help"], f.io), 0);
    assert.match(f.out(), /--listen HOST:PORT/);
    assert.match(f.out(), /--users-file/);
  });

  it("reports every bad flag at once, naming each, with exit code 2", async () => {
    const f = fakeIO();
    const code = await simulate(
      [
        "--listen",
        "nowhere",
        "--token-ttl",
        "-5",
        "--session-ttl",
        "soon",
        "--cookie-format",
        "xml",
        "--public-url",
        "ftp://x",
        "--max-objects",
        "1.5",
        "--log-level",
        "loud",
        "--bogus",
        "stray",
      ],
      f.io,
    );
    assert.equal(code, 2);
    for (const flag of [
      "--listen",
      "--token-ttl",
      "--session-ttl",
      "--cookie-format",
      "--public-url",
      "--max-objects",
      "--log-level",
      "--bogus",
      "stray",
    ]) {
      assert.ok(f.err().includes(flag), `${flag} named in: ${f.err()}`);
    }
  });

  it("needs a value for every value flag", async () => {
    const f = fakeIO();
    assert.equal(await simulate(["--token-ttl", "--listen"], f.io), 2);
    assert.match(f.err(), /--token-ttl needs a value/);
    assert.match(f.err(), /--listen needs a value/);
  });

  it("refuses a password file that others can read, saying chmod 600", async () => {
    const pw = file("open.txt", "secret\n", 0o644);
    const f = fakeIO();
    assert.equal(await simulate(["--user", DEMO_USER, "--password-file", pw], f.io), 2);
    assert.match(f.err(), /--password-file/);
    assert.match(f.err(), /chmod 600/);
    assert.ok(!f.err().includes("secret"));
  });

  it("reports several bad flags at once, naming each", async () => {
    const f = fakeIO();
    assert.equal(await simulate(["--token-ttl", "-5", "--bogus", "--max-objects", "0", "--listen"], f.io), 2);
    const lines = f
      .err()
      .split("\n")
      .filter((l) => l.startsWith("  - "));
    assert.equal(lines.length, 4, f.err());
    for (const re of [
      /--token-ttl needs a value.*--token-ttl=-5/,
      /--bogus/,
      /--listen needs a value/,
      /--max-objects/,
    ]) {
      assert.equal(lines.filter((l) => re.test(l)).length, 1, `${re} once in: ${f.err()}`);
    }
  });

  it("checks users and pairs them with password files", async () => {
    const f = fakeIO();
    assert.equal(await simulate(["--user", "jack"], f.io), 2);
    assert.match(f.err(), /--user: "jack" is not a two-part user name/);
    assert.match(f.err(), /--password-file is required/);
    const g = fakeIO();
    assert.equal(await simulate(["--password-file", file("lonely.txt", "x")], g.io), 2);
    assert.match(g.err(), /--password-file needs --user or --users-file/);
    const h = fakeIO();
    assert.equal(await simulate(["--users-file", join(dir, "missing.txt")], h.io), 2);
    assert.match(h.err(), /--users-file .*missing\.txt cannot be read/);
  });

  it("runs with a users file until the signal aborts, then returns 0", async () => {
    const shared = file("shared.txt", "shared-pw\n");
    const own = file("own.txt", "own-pw\r\n");
    const users = file("users.txt", `# accounts\n/Compute-acme/ann\n/Compute-acme/bob ${own}\n\n`);
    const f = fakeIO();
    const done = simulate(
      ["--listen", "127.0.0.1:0", "--users-file", users, "--password-file", shared, "--log-level", "silent"],
      f.io,
    );
    const url = await urlFrom(f.out);
    assert.equal((await login(url, "/Compute-acme/ann", "shared-pw")).status, 204);
    assert.equal((await login(url, "/Compute-acme/bob", "own-pw")).status, 204, "one trailing newline is stripped");
    assert.equal((await login(url, "/Compute-acme/bob", "own-pw\r")).status, 401);
    f.abort();
    assert.equal(await done, 0);
  });

  it("starts with the demo account and the flags it was given", async () => {
    const f = fakeIO();
    const done = simulate(
      ["--listen", ":0", "--token-ttl", "60", "--cookie-format", "raw", "--log-level", "silent"],
      f.io,
    );
    const url = await urlFrom(f.out);
    assert.match(f.out(), new RegExp(DEMO_PASSWORD));
    const r = await login(url, DEMO_USER, DEMO_PASSWORD);
    assert.equal(r.status, 204);
    assert.match(String(r.headers["set-cookie"]), /^nimbula=\{.*Max-Age=60$/);
    f.abort();
    assert.equal(await done, 0);
  });

  it("returns 1 when it cannot listen", async () => {
    const first = fakeIO();
    const running = simulate(["--listen", "127.0.0.1:0", "--log-level", "silent"], first.io);
    const port = new URL(await urlFrom(first.out)).port;
    const f = fakeIO();
    assert.equal(await simulate(["--listen", `127.0.0.1:${port}`, "--log-level", "silent"], f.io), 1);
    assert.match(f.err(), /cannot listen/);
    first.abort();
    assert.equal(await running, 0);
  });
});
