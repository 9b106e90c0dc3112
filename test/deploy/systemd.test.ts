// Static checks of docker/systemd/: the unit parses, sandboxes the proxy (systemd.exec(5)), and runs
// a serve command line whose flags are real, with an environment file of real variables only.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, it } from "node:test";
import { SERVE_HELP } from "../../src/commands/serve-help.js";
import { SERVE_OPTIONS } from "../../src/config/serve.js";
import { parseDuration, parseOptions, type OptionTable } from "../../src/config/options.js";
import { isLoopbackHost, parseListen } from "../../src/net/addresses.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const read = (path: string): string => readFileSync(join(ROOT, path), "utf8");

/** A unit file: section → key → every value assigned, in order (systemd keys may repeat). */
type Unit = Map<string, Map<string, string[]>>;

/** systemd.syntax(7): [Section] headers, Key=Value, # and ; comments, backslash continuation. */
function parseUnit(text: string): Unit {
  const unit: Unit = new Map();
  let section: Map<string, string[]> | undefined;
  let pending = "";
  for (const raw of text.split("\n")) {
    const line = (pending + raw.trim()).trim();
    if (line.endsWith("\\")) {
      pending = line.slice(0, -1) + " ";
      continue;
    }
    pending = "";
    if (line === "" || line.startsWith("#") || line.startsWith(";")) continue;
    const header = /^\[(\w+)\]$/.exec(line);
    if (header) {
      section = new Map();
      unit.set(header[1]!, section);
      continue;
    }
    const kv = /^([A-Za-z]+)=(.*)$/.exec(line);
    assert.ok(kv && section, `not a unit line: ${line}`);
    const values = section.get(kv[1]!) ?? [];
    values.push(kv[2]!.trim());
    section.set(kv[1]!, values);
  }
  return unit;
}

/** Lines KEY=VALUE of an EnvironmentFile=, without comments. */
function parseEnvFile(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const m = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line);
    assert.ok(m, `not a KEY=VALUE line: ${line}`);
    env[m[1]!] = m[2]!;
  }
  return env;
}

describe("docker/systemd/opc-auth-proxy.service", () => {
  const unit = parseUnit(read("docker/systemd/opc-auth-proxy.service"));
  const service = unit.get("Service")!;
  const one = (key: string): string | undefined => service.get(key)?.at(-1);

  it("has the three sections and starts after the network is online", () => {
    assert.deepEqual([...unit.keys()], ["Unit", "Service", "Install"]);
    assert.equal(unit.get("Unit")!.get("After")?.[0], "network-online.target");
    assert.equal(unit.get("Install")!.get("WantedBy")?.[0], "multi-user.target");
  });

  const sandbox: Array<[name: string, key: string, expected: string]> = [
    ["no fixed account", "DynamicUser", "yes"],
    ["the file system is read-only", "ProtectSystem", "strict"],
    ["no home directories", "ProtectHome", "yes"],
    ["a private /tmp", "PrivateTmp", "yes"],
    ["no privilege gain", "NoNewPrivileges", "yes"],
    ["no capabilities at all", "CapabilityBoundingSet", ""],
    ["IP and unix sockets only", "RestrictAddressFamilies", "AF_INET AF_INET6 AF_UNIX"],
    ["ordinary service system calls", "SystemCallFilter", "@system-service"],
    ["files it creates are private", "UMask", "0077"],
    ["the cookie file's directory", "StateDirectory", "opc-auth-proxy"],
  ];
  for (const [name, key, expected] of sandbox) {
    it(`sandbox: ${name} (${key}=${expected})`, () => {
      assert.ok(service.get(key)?.includes(expected), `${key}=${expected} (found ${service.get(key)?.join(", ")})`);
    });
  }

  it("leaves V8's JIT working: no MemoryDenyWriteExecute=yes", () => {
    assert.notEqual(one("MemoryDenyWriteExecute"), "yes");
  });

  it("hands the password over as a credential and keeps the cookie file in the state directory", () => {
    const cred = /^(\w+):(\/\S+)$/.exec(one("LoadCredential") ?? "");
    assert.ok(cred, "LoadCredential=NAME:/absolute/path");
    const argv = one("ExecStart")!.split(/\s+/);
    assert.equal(argv[argv.indexOf("--password-file") + 1], `%d/${cred[1]}`, "--password-file %d/<credential>");
    assert.equal(
      argv[argv.indexOf("--cookie-file") + 1]?.split("/").slice(0, 2).join("/"),
      `%S/${one("StateDirectory")}`,
      "--cookie-file under %S/<StateDirectory>",
    );
  });

  it("runs `opc-auth-proxy serve` with flags that `serve --help` documents and the parser accepts", () => {
    // `/usr/bin/env node --flag …` in front carries V8 flags (test/deploy/node-flags.test.ts).
    const [program, sub, ...args] = one("ExecStart")!
      .replace(/^\/usr\/bin\/env node(\s+--[\w-]+(=\S+)?)*\s+/, "")
      .split(/\s+/);
    assert.match(program!, /^\/\S+\/opc-auth-proxy$/, "an absolute path to opc-auth-proxy");
    assert.equal(sub, "serve");
    for (const flag of args.filter((a) => a.startsWith("--")))
      assert.ok(SERVE_HELP.includes(`  ${flag.split("=")[0]} `), `${flag} is not in serve --help`);
    assert.deepEqual(parseOptions(args, SERVE_OPTIONS, {}).problems, []);
  });

  it("gives SIGTERM more time than the drain before SIGKILL", () => {
    assert.equal(one("KillSignal"), "SIGTERM");
    const problems: string[] = [];
    const stop = parseDuration(one("TimeoutStopSec")!, "TimeoutStopSec", problems)!;
    const env = parseEnvFile(read("docker/systemd/opc-auth-proxy.env"));
    const drain = parseDuration(env.OPC_PROXY_DRAIN_TIMEOUT ?? "20s", "OPC_PROXY_DRAIN_TIMEOUT", problems)!;
    assert.deepEqual(problems, []);
    assert.ok(stop > drain, `TimeoutStopSec ${stop} ms must exceed the drain timeout ${drain} ms`);
    assert.equal(one("RestartPreventExitStatus"), "2", "a configuration error (exit 2) is not restarted");
  });
});

describe("docker/systemd/opc-auth-proxy.env", () => {
  const env = parseEnvFile(read("docker/systemd/opc-auth-proxy.env"));
  const known = new Set([
    ...Object.values(SERVE_OPTIONS as OptionTable).flatMap((o) => o.env ?? []),
    "HTTPS_PROXY",
    "HTTP_PROXY",
    "NO_PROXY",
  ]);

  it("sets only variables serve reads, and no password", () => {
    for (const name of Object.keys(env)) assert.ok(known.has(name), `${name} is not a variable serve reads`);
    assert.equal(env.OPC_PASSWORD, undefined, "the password comes as a credential, never in the environment");
    assert.equal(env.OPC_PASSWORD_FILE, undefined, "ExecStart names the credential");
  });

  it("parses as a valid configuration that listens on loopback", () => {
    assert.deepEqual(parseOptions([], SERVE_OPTIONS, env).problems, []);
    const listen = parseListen(env.OPC_PROXY_LISTEN ?? "127.0.0.1:8080");
    assert.ok(typeof listen === "object" && listen.kind === "tcp" && isLoopbackHost(listen.host));
  });
});
