// The wrong-password guard survives restarts: across five restarts of the proxy (some in a crash
// loop a few seconds after start, before it gave up by itself), the same wrong password reaches the
// API at most 3 times; a changed password file is tried at once.

import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileCredentials } from "../../src/session/credentials.js";
import { startSimulator, type RunningSimulator } from "../../src/simulator/index.js";
import { startProxy, USER } from "../security/support/proxy.js";

const RIGHT = "the-right-password";

interface Files {
  stateFile: string;
  cookieFile: string;
  /** Give only --cookie-file, so the state file takes its default place. */
  byDefault: boolean;
}
const WRONG = "a-wrong-password-never-stored";

describe("the wrong-password guard across restarts", () => {
  let sim: RunningSimulator;
  let dir: string;
  before(async () => {
    sim = await startSimulator({ users: [{ user: USER, password: RIGHT }] });
    dir = await mkdtemp(join(tmpdir(), "opc-guard-"));
  });
  after(async () => {
    await sim.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** One run of the proxy: start, let `runMs` of its time pass, stop (a restart or a crash). */
  async function run(files: Files, passwordPath: string, runMs: number): Promise<boolean> {
    const p = await startProxy(sim.url, {
      credentials: fileCredentials(USER, passwordPath),
      settings: files.byDefault ? { cookieFile: files.cookieFile } : { stateFile: files.stateFile },
      start: false,
    });
    try {
      await p.proxy.session.start();
      await p.clock.advance(runMs);
      await p.proxy.session.idle();
      return p.proxy.session.snapshot().ready;
    } finally {
      await p.close();
    }
  }

  const rows = [
    {
      name: "crash loop: every restart 3 s after start",
      runsMs: [3_000, 3_000, 3_000, 3_000, 3_000],
      byDefault: false,
    },
    {
      name: "a first run that gives up by itself, then four restarts",
      runsMs: [120_000, 3_000, 3_000, 60_000, 3_000],
      byDefault: false,
    },
    {
      name: "no --state-file: kept beside the cookie file",
      runsMs: [3_000, 3_000, 3_000, 3_000, 3_000],
      byDefault: true,
    },
  ];
  for (const [i, row] of rows.entries()) {
    it(`${row.name}: at most 3 rejected logins reach the API; a changed password is tried at once`, async () => {
      const cookieFile = join(dir, `cookies-${i}`);
      const stateFile = row.byDefault ? `${cookieFile}.login-state` : join(dir, `state-${i}`);
      const files: Files = { stateFile, cookieFile, byDefault: row.byDefault };
      const passwordPath = join(dir, `password-${i}`);
      await writeFile(passwordPath, `${WRONG}\n`, { mode: 0o600 });
      const failedBefore = sim.simulator.counters().failedLogins;
      for (const ms of row.runsMs) assert.equal(await run(files, passwordPath, ms), false);
      assert.equal(sim.simulator.counters().failedLogins - failedBefore, 3);
      const text = await readFile(stateFile, "utf8");
      assert.ok(!text.includes(WRONG), "the state file holds the password");
      assert.equal((await stat(stateFile)).mode & 0o777, 0o600);

      await writeFile(passwordPath, `${RIGHT}\n`, { mode: 0o600 });
      const loginsBefore = sim.simulator.counters().logins;
      assert.equal(await run(files, passwordPath, 0), true, "the changed password was not tried at once");
      assert.equal(sim.simulator.counters().logins, loginsBefore + 1);
      assert.equal(sim.simulator.counters().failedLogins - failedBefore, 3);
    });
  }
});
