// The operating options of `serve`: --admin-listen and --log-format, with their variables, checked
// up front like every other option (a problem names the flag or variable to fix).

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { loadConfig } from "../../src/config/serve.js";
import { ConfigError } from "../../src/errors.js";

async function load(argv: string[], env: NodeJS.ProcessEnv = {}) {
  try {
    return { config: (await loadConfig(argv, env)).config!, problems: [] as string[] };
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return { config: undefined, problems: [...err.problems] };
  }
}

describe("--admin-listen and --log-format", () => {
  it("are off and automatic by default", async () => {
    const { config } = await load([]);
    assert.equal(config!.adminListen, undefined);
    assert.equal(config!.logFormat, undefined);
  });

  const good = [
    {
      name: "a pod-IP listener from the flag",
      argv: ["--admin-listen", "0.0.0.0:9090"],
      env: {},
      admin: { kind: "tcp", host: "0.0.0.0", port: 9090 },
      format: undefined,
    },
    {
      name: "both from their variables",
      argv: [],
      env: { OPC_PROXY_ADMIN_LISTEN: "unix:/tmp/admin.sock", OPC_PROXY_LOG_FORMAT: "json" },
      admin: { kind: "unix", path: "/tmp/admin.sock" },
      format: "json",
    },
    {
      name: "the flag beats the variable",
      argv: ["--log-format", "text"],
      env: { OPC_PROXY_LOG_FORMAT: "json" },
      admin: undefined,
      format: "text",
    },
  ];
  for (const row of good) {
    it(row.name, async () => {
      const { config, problems } = await load(row.argv, row.env);
      assert.deepEqual(problems, []);
      assert.deepEqual(config!.adminListen, row.admin);
      assert.equal(config!.logFormat, row.format);
    });
  }

  const bad = [
    {
      name: "an admin address that is not one",
      argv: ["--admin-listen", "9090x"],
      problem: /^--admin-listen: "9090x"/,
    },
    {
      name: "the proxy's own address",
      argv: ["--listen", "127.0.0.1:8080", "--admin-listen", "127.0.0.1:8080"],
      problem: /^--admin-listen: "127\.0\.0\.1:8080" is the proxy's own --listen address/,
    },
    {
      name: "an unknown format",
      argv: ["--log-format", "pretty"],
      problem: /^--log-format: "pretty" is not a log format/,
    },
  ];
  for (const row of bad) {
    it(`refuses ${row.name}`, async () => {
      const { problems } = await load(row.argv);
      assert.equal(problems.length, 1, problems.join("\n"));
      assert.match(problems[0]!, row.problem);
    });
  }
});
