// Configuration of the identity mode: operator (the default) vs client, the cache bounds, and the
// operator credentials that client mode refuses, each problem naming its flag or variable.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { loadConfig } from "../../src/config/serve.js";
import { ConfigError } from "../../src/errors.js";

async function problems(argv: string[], env: NodeJS.ProcessEnv = {}): Promise<string[]> {
  try {
    await loadConfig(argv, env);
  } catch (err) {
    assert.ok(err instanceof ConfigError, `a ConfigError, not ${String(err)}`);
    return [...err.problems];
  }
  return [];
}

const API = ["--api", "https://api.example.com"];

describe("identity mode configuration", () => {
  it("defaults to operator mode with 100 identities and 30 minutes idle", async () => {
    const { config } = await loadConfig([], {});
    assert.equal(config!.identityMode, "operator");
    assert.equal(config!.maxIdentities, 100);
    assert.equal(config!.identityIdleTimeoutMs, 30 * 60_000);
  });

  it("client mode needs no --user or --password-file, from flags or variables", async () => {
    const { config } = await loadConfig([...API, "--identity-mode", "client", "--max-identities", "5"], {
      OPC_PROXY_IDENTITY_IDLE_TIMEOUT: "90s",
    });
    assert.equal(config!.identityMode, "client");
    assert.equal(config!.maxIdentities, 5);
    assert.equal(config!.identityIdleTimeoutMs, 90_000);
    const env = await loadConfig(API, { OPC_PROXY_IDENTITY_MODE: "client" });
    assert.equal(env.config!.identityMode, "client");
  });

  const rows: { name: string; argv: string[]; env?: NodeJS.ProcessEnv; expect: RegExp }[] = [
    {
      name: "an unknown mode",
      argv: ["--identity-mode", "users"],
      expect: /--identity-mode: "users" is not an identity mode; use operator or client/,
    },
    {
      name: "a bad count",
      argv: [...API, "--identity-mode", "client", "--max-identities", "0"],
      expect: /--max-identities: "0" is not a count/,
    },
    {
      name: "a bad idle timeout",
      argv: [...API, "--identity-mode", "client", "--identity-idle-timeout", "soon"],
      expect: /--identity-idle-timeout/,
    },
    {
      name: "--user in client mode",
      argv: [...API, "--identity-mode", "client", "--user", "/Compute-acme/jack"],
      expect: /--user is set, but --identity-mode client/,
    },
    {
      name: "OPC_PASSWORD in client mode",
      argv: [...API, "--identity-mode", "client"],
      env: { OPC_PASSWORD: "pw" },
      expect: /OPC_PASSWORD is set, but --identity-mode client means .*unset it/,
    },
    {
      name: "the mode from OPC_PROXY_IDENTITY_MODE",
      argv: [...API, "--user", "/Compute-acme/jack"],
      env: { OPC_PROXY_IDENTITY_MODE: "client" },
      expect: /--user is set, but --identity-mode client \(OPC_PROXY_IDENTITY_MODE\) means/,
    },
    {
      name: "--cookie-file in client mode",
      argv: [...API, "--identity-mode", "client", "--cookie-file", "/tmp/c"],
      expect: /--cookie-file is set/,
    },
    {
      name: "--state-file in client mode (OPC_PROXY_STATE_FILE too)",
      argv: [...API, "--identity-mode", "client"],
      env: { OPC_PROXY_STATE_FILE: "/tmp/s" },
      expect: /OPC_PROXY_STATE_FILE is set, but --identity-mode client/,
    },
    {
      name: "cache bounds in operator mode",
      argv: ["--max-identities", "5"],
      expect: /--max-identities only apply with --identity-mode client/,
    },
  ];
  for (const row of rows) {
    it(`names the flag for ${row.name}`, async () => {
      const found = await problems(row.argv, row.env);
      assert.ok(
        found.some((p) => row.expect.test(p)),
        found.join("\n"),
      );
    });
  }
});
