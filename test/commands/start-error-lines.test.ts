// A start failure (LISTEN_FAILED: the port is taken) is printed once for people, plus one JSON fatal
// line for collectors when logs are JSON: never the same message twice as text on one stream.

import assert from "node:assert/strict";
import { once } from "node:events";
import { execFile } from "node:child_process";
import net from "node:net";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { after, before, describe, it } from "node:test";
import { startSimulator, type RunningSimulator } from "../../src/simulator/index.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

function serve(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(
      "node",
      ["--import", "tsx", "src/cli.ts", "serve", ...args],
      {
        cwd: ROOT,
        env: { ...process.env, ...env },
        timeout: 60_000,
      },
      (_err, _stdout, stderr) => resolve({ code: child.exitCode ?? -1, stderr }),
    );
  });
}

describe("a start failure on standard error", () => {
  let taken: net.Server;
  let sim: RunningSimulator;
  before(async () => {
    taken = net.createServer().listen(0, "127.0.0.1");
    await once(taken, "listening");
    sim = await startSimulator({ users: [{ user: "/Compute-acme/u@example.com", password: "pw-123456" }] });
  });
  after(async () => {
    taken.close();
    await sim.close();
  });

  const rows = [
    { format: "text", fatalLines: 0 },
    { format: "json", fatalLines: 1 },
  ];
  for (const row of rows) {
    it(`--log-format ${row.format}: one plain line, ${row.fatalLines} fatal log line`, async () => {
      const port = (taken.address() as AddressInfo).port;
      const r = await serve(["--listen", `127.0.0.1:${port}`, "--log-format", row.format], {
        OPC_API: sim.url,
        OPC_USER: "/Compute-acme/u@example.com",
        OPC_PASSWORD: "pw-123456",
        OPC_PASSWORD_FILE: "",
        NO_COLOR: "1",
      });
      assert.equal(r.code, 1, r.stderr);
      const lines = r.stderr.split("\n");
      assert.equal(lines.filter((l) => l.startsWith("opc-auth-proxy serve: ")).length, 1, r.stderr);
      const fatal = lines.filter((l) => l.includes('"event":"fatal"') || /FATAL/.test(l));
      assert.equal(fatal.length, row.fatalLines, r.stderr);
      if (row.fatalLines) assert.equal(JSON.parse(fatal[0]!).code, "LISTEN_FAILED");
    });
  }
});
