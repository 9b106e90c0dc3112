// Configuration of `serve`: flags beat variables, aliases work, and every problem is reported at
// once naming the flag or variable, with exit code 2 from the real command line.

import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { API_OPTIONS, apiOptions } from "../../src/commands/one-shot-auth.js";
import { parseOptions } from "../../src/config/options.js";
import { loadConfig } from "../../src/config/serve.js";
import { ConfigError } from "../../src/errors.js";
import { spawnCli } from "../support/spawn-proxy.js";

let dir: string;
let pw: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), "opc-config-"));
  pw = join(dir, "pw");
  await writeFile(pw, "secret\n", { mode: 0o600 });
});
after(() => rm(dir, { recursive: true, force: true }));

async function problems(argv: string[], env: NodeJS.ProcessEnv = {}): Promise<string[]> {
  try {
    await loadConfig(argv, env);
  } catch (err) {
    assert.ok(err instanceof ConfigError, `a ConfigError, not ${String(err)}`);
    return [...err.problems];
  }
  return [];
}

describe("serve configuration", () => {
  it("no configuration at all is valid: the zero-config simulator demo", async () => {
    const { config } = await loadConfig([], {});
    assert.equal(config!.api, undefined);
    assert.deepEqual(config!.listen, { kind: "tcp", host: "127.0.0.1", port: 8080 });
    assert.equal(config!.maxReplayBytes, 1024 * 1024);
    assert.equal(config!.upstreamTimeoutMs, 60_000);
  });

  it("flags beat variables; aliases are read", async () => {
    const { config } = await loadConfig(["--api", "https://flag.example.com", "--user", "/Compute-acme/flag"], {
      OPC_ENDPOINT: "https://env.example.com",
      OPC_COMPUTE_USER: "/Compute-acme/env",
      OPC_COMPUTE_PASSWORD_FILE: pw,
      OPC_PROXY_LISTEN: "unix:/tmp/x.sock",
    });
    assert.equal(config!.api!.host, "flag.example.com");
    assert.equal(config!.user, "/Compute-acme/flag");
    assert.deepEqual(config!.password, { kind: "file", path: pw });
    assert.deepEqual(config!.listen, { kind: "unix", path: "/tmp/x.sock" });
  });

  it("Terraform's OPC_USERNAME + OPC_IDENTITY_DOMAIN and OPC_PASSWORD", async () => {
    const { config } = await loadConfig([], {
      OPC_ENDPOINT: "https://api.example.com",
      OPC_USERNAME: "jack@example.com",
      OPC_IDENTITY_DOMAIN: "acme",
      OPC_PASSWORD: "pw-in-env",
    });
    assert.equal(config!.user, "/Compute-acme/jack@example.com");
    assert.equal(config!.password!.kind, "value");
  });

  it("every problem is reported at once, each naming its flag or variable", async () => {
    const p = await problems(
      [
        "--api",
        "ftp://x",
        "--user",
        "jack",
        "--listen",
        "nope",
        "--max-replay-bytes",
        "lots",
        "--upstream-timeout=-1",
        "--log-level",
        "loud",
      ],
      {},
    );
    assert.equal(p.length, 7, p.join("\n"));
    assert.match(p.join("\n"), /--password-file \(OPC_PASSWORD_FILE\) is required with --api/);
    assert.match(p.join("\n"), /--api: .*https:\/\//);
    assert.match(p.join("\n"), /--user: "jack" is not a Compute user; use the two-part form/);
    assert.match(p.join("\n"), /--listen: "nope"/);
    assert.match(p.join("\n"), /--max-replay-bytes: "lots" is not a size/);
    assert.match(p.join("\n"), /--upstream-timeout: "-1" is not a duration/);
    assert.match(p.join("\n"), /--log-level: "loud"/);
  });

  it("with an API, user and password are required; without one, they are refused", async () => {
    const need = await problems(["--api", "https://api.example.com"]);
    assert.match(need.join("\n"), /--user \(OPC_USER\) is required with --api/);
    assert.match(need.join("\n"), /--password-file \(OPC_PASSWORD_FILE\) is required with --api/);
    const stray = await problems([], { OPC_USER: "/Compute-acme/jack" });
    assert.match(stray.join("\n"), /OPC_USER is set but --api \(OPC_API\) is not/);
  });

  it("a password file and OPC_PASSWORD in the environment together are ambiguous", async () => {
    const p = await problems([], {
      OPC_API: "https://a.example.com",
      OPC_USER: "/Compute-a/b",
      OPC_PASSWORD_FILE: pw,
      OPC_PASSWORD: "x",
    });
    assert.match(p.join("\n"), /OPC_PASSWORD_FILE and OPC_PASSWORD are both set/);
  });

  it("a world-readable, missing or empty password file is refused up front", async () => {
    const open = join(dir, "open");
    await writeFile(open, "secret\n", { mode: 0o644 });
    const empty = join(dir, "empty");
    await writeFile(empty, "\n", { mode: 0o600 });
    const base = ["--api", "https://a.example.com", "--user", "/Compute-a/b"];
    assert.match((await problems([...base, "--password-file", open])).join(), /chmod 600.*defaultMode: 0400/);
    assert.match(
      (await problems([...base, "--password-file", join(dir, "missing")])).join(),
      /missing cannot be read: no such file/,
    );
    assert.match((await problems([...base, "--password-file", empty])).join(), /is empty/);
  });

  describe("--api must be an origin (no path)", () => {
    const rows = [
      { name: "the bare origin", api: "https://a.example.com", ok: true },
      { name: "a trailing slash", api: "https://a.example.com/", ok: true },
      { name: "an explicit port", api: "https://a.example.com:8443/", ok: true },
      { name: "a path", api: "https://a.example.com/some/path", ok: false },
      { name: "a one-segment path with a slash", api: "https://a.example.com/compute/", ok: false },
    ];
    for (const row of rows) {
      it(`${row.name}: ${row.ok ? "accepted" : "refused, naming what to write"}`, async () => {
        const found = await problems(["--api", row.api, "--user", "/Compute-a/b", "--password-file", pw]);
        if (row.ok) assert.deepEqual(found, []);
        else {
          assert.equal(found.length, 1);
          assert.match(
            found[0]!,
            /^--api: .* has a path .*root of its host, so give the origin alone: https:\/\/a\.example\.com$/,
          );
        }
      });
    }
    it("OPC_API too, and auth / refresh_token read it the same way", async () => {
      const found = await problems([], {
        OPC_API: "https://a.example.com/x",
        OPC_USER: "/Compute-a/b",
        OPC_PASSWORD_FILE: pw,
      });
      assert.match(found.join(), /^OPC_API: .* has a path/);
      const shared: string[] = [];
      await apiOptions(parseOptions(["--api", "https://a.example.com/x"], API_OPTIONS, {}), shared);
      assert.match(shared.join(), /^--api: .* has a path/);
    });
  });

  it("URI rewriting is on by default; --no-rewrite-uris or OPC_PROXY_REWRITE_URIS=false turns it off", async () => {
    assert.equal((await loadConfig([], {})).config!.rewriteUris, true);
    assert.equal((await loadConfig(["--no-rewrite-uris"], {})).config!.rewriteUris, false);
    assert.equal((await loadConfig([], { OPC_PROXY_REWRITE_URIS: "false" })).config!.rewriteUris, false);
    assert.equal((await loadConfig([], { OPC_PROXY_REWRITE_URIS: "true" })).config!.rewriteUris, true);
    assert.equal(
      (await loadConfig(["--no-rewrite-uris"], { OPC_PROXY_REWRITE_URIS: "true" })).config!.rewriteUris,
      false,
      "a flag beats the variable",
    );
    assert.match(
      (await problems([], { OPC_PROXY_REWRITE_URIS: "nope" })).join(),
      /OPC_PROXY_REWRITE_URIS: "nope" is not a boolean/,
    );
  });

  it("a boolean variable must say true or false", async () => {
    assert.match(
      (await problems([], { OPC_PROXY_INSECURE_SKIP_TLS_VERIFY: "garbage" })).join(),
      /OPC_PROXY_INSECURE_SKIP_TLS_VERIFY: "garbage" is not a boolean/,
    );
    const { config } = await loadConfig([], { OPC_PROXY_INSECURE_SKIP_TLS_VERIFY: "off" });
    assert.equal(config!.insecureSkipTlsVerify, false);
    assert.equal(
      (await loadConfig([], { OPC_PROXY_INSECURE_SKIP_TLS_VERIFY: "yes" })).config!.insecureSkipTlsVerify,
      true,
    );
  });

  it("unknown flags and stray arguments are usage errors", async () => {
    assert.match((await problems(["--nope"])).join(), /Unknown option '--nope'.*--help/);
    assert.match((await problems(["extra"])).join(), /unexpected argument "extra"/);
  });

  it("the command line exits 2 with every problem for a world-readable password file", async () => {
    const open = join(dir, "open2");
    await writeFile(open, "secret\n", { mode: 0o644 });
    const child = spawnCli([
      "serve",
      "--api",
      "https://a.example.com",
      "--user",
      "/Compute-a/b",
      "--password-file",
      open,
      "--listen",
      "bad",
    ]);
    assert.equal(await child.exit(), 2);
    const err = child.stderr.join("");
    assert.match(err, /invalid configuration/);
    assert.match(err, /chmod 600/);
    assert.match(err, /--listen: "bad"/);
    assert.ok(!err.includes("secret"));
  });

  it("the command line exits 1, naming --listen, when the address is in use", async () => {
    const taken = net.createServer();
    await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
    const port = (taken.address() as net.AddressInfo).port;
    try {
      // The zero-config demo starts its simulator first, so this also shows it is shut down cleanly.
      const child = spawnCli(["serve", "--listen", `127.0.0.1:${port}`, "--log-level", "silent"]);
      assert.equal(await child.exit(), 1);
      assert.match(
        child.stderr.join(""),
        new RegExp(`--listen 127\\.0\\.0\\.1:${port}: the address is already in use; pick another port`),
      );
    } finally {
      taken.close();
    }
  });
});
