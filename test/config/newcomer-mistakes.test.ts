// The first mistakes a newcomer makes, each answered with what to write instead, naming the flag.

import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { auth } from "../../src/commands/auth.js";
import { loadConfig } from "../../src/config/serve.js";
import { ConfigError } from "../../src/errors.js";
import { fakeIO } from "../support/io.js";

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), "opc-newcomer-"));
});
after(() => rm(dir, { recursive: true, force: true }));

async function problems(argv: string[], env: NodeJS.ProcessEnv = {}): Promise<string[]> {
  try {
    await loadConfig(argv, env);
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return [...err.problems];
  }
  return [];
}

describe("serve: what a newcomer types", () => {
  const rows: Array<[name: string, argv: () => string[], says: RegExp]> = [
    ["--port 8090", () => ["--port", "8090"], /Unknown option '--port'.*--listen 127\.0\.0\.1:8090/],
    ["--address 0.0.0.0", () => ["--address", "0.0.0.0"], /Unknown option '--address'.*--listen 0\.0\.0\.0:8080/],
    ["--port=9000", () => ["--port=9000"], /--listen 127\.0\.0\.1:9000/],
    [
      "--listen 8090",
      () => ["--listen", "8090"],
      /--listen: "8090" is only a port; use HOST:PORT, e\.g\. 127\.0\.0\.1:8090/,
    ],
    [
      "a missing --ca-file",
      () => ["--ca-file", join(dir, "nope.pem")],
      /^--ca-file: cannot read .*nope\.pem: no such file$/,
    ],
    [
      "a cookie file in a missing directory",
      () => ["--cookie-file", join(dir, "missing", "cookies")],
      /^--cookie-file: the directory .*missing of .*cookies cannot be used: no such file; create it first$/,
    ],
    [
      "a lower-case /compute- prefix",
      () => ["--api", "https://a.example.com", "--user", "/compute-acme/ann", "--password-file", "-"],
      /--user: "\/compute-acme\/ann": the prefix is case-sensitive; write \/Compute-acme\/ann/,
    ],
    [
      "a user ending in /",
      () => ["--api", "https://a.example.com", "--user", "/Compute-acme/ann/", "--password-file", "-"],
      /--user: "\/Compute-acme\/ann\/" ends with \/; the user name is \/Compute-acme\/ann/,
    ],
  ];
  for (const [name, argv, says] of rows) {
    it(name, async () => {
      const p = await problems(argv());
      assert.equal(p.length, 1, p.join("\n"));
      assert.match(p[0]!, says);
      assert.doesNotMatch(p[0]!, /ENOENT|open '/, "no raw system error");
    });
  }

  it("--shutdown-delay takes 0 and a duration, from the flag or OPC_PROXY_SHUTDOWN_DELAY", async () => {
    assert.equal((await loadConfig([], {})).config!.shutdownDelayMs, 0);
    assert.equal((await loadConfig(["--shutdown-delay", "0"], {})).config!.shutdownDelayMs, 0);
    assert.equal((await loadConfig([], { OPC_PROXY_SHUTDOWN_DELAY: "5s" })).config!.shutdownDelayMs, 5000);
    assert.match((await problems(["--shutdown-delay", "soon"])).join(), /--shutdown-delay: "soon" is not a duration/);
  });

  it("an existing cookie directory passes", async () => {
    assert.deepEqual(await problems(["--cookie-file", join(dir, "cookies")]), []);
  });
});

describe("auth: the variables the README exports", () => {
  it("reads OPC_USER and OPC_PASSWORD_FILE when the arguments are left out", async () => {
    const f = fakeIO({ env: { OPC_USER: "/compute-acme/ann", OPC_PASSWORD_FILE: join(dir, "missing-pw") } });
    assert.equal(await auth(["--api", "https://a.example.com"], f.io), 2);
    // Both came from the environment: each problem names its variable.
    assert.match(f.err(), /OPC_USER: "\/compute-acme\/ann": the prefix is case-sensitive/);
    assert.match(f.err(), /PASSWORD_FILE: .*missing-pw/);
    assert.doesNotMatch(f.err(), /USER and PASSWORD_FILE .* are required/);
  });
});
