// `npm start` as npm runs it: the start script goes through `sh -c`, and npm forwards SIGTERM and
// SIGINT to that shell only. Unless the script hands the process to node (exec), the shell dies and
// the proxy lives on, orphaned, holding its port (seen with `npm start &` and `kill %1`).

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { ROOT } from "../support/spawn-proxy.js";

/** `node`, any node flags (test/deploy/node-flags.test.ts), then the bin. */
const COMMAND = /\bnode((?: --[\w-]+(?:=\S+)?)*) bin\/opc-auth-proxy\.js/;

describe("npm start", () => {
  it("hands the process to node, so the SIGTERM npm forwards drains the proxy and exits 0", async () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> };
    const script = pkg.scripts.start!;
    assert.match(script, COMMAND, "scripts.start runs node bin/opc-auth-proxy.js");
    // The same program from source (dist/ may be stale), with its node flags and the arguments npm
    // appends after `--`.
    const line = `${script.replace(COMMAND, `'${process.execPath}'$1 --import tsx src/cli.ts`)} --listen 127.0.0.1:0`;
    const proc = spawn("sh", ["-c", line], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, OPC_PROXY_LOG_LEVEL: "info" },
      stdio: ["ignore", "pipe", "pipe"],
      detached: true, // its own process group, so an orphaned proxy is still ours to stop below
    });
    let output = "";
    const exited = once(proc, "exit") as Promise<[number | null, NodeJS.Signals | null]>;
    const listening = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the proxy did not start within 30 s:\n${output}`)), 30_000);
      const onData = (c: Buffer) => {
        output += c.toString();
        if (/"event":"listening"/.test(output)) {
          clearTimeout(timer);
          resolve();
        }
      };
      proc.stdout.on("data", onData);
      proc.stderr.on("data", onData);
      void exited.then(() => {
        clearTimeout(timer);
        reject(new Error(`the start script exited before listening:\n${output}`));
      });
    });
    try {
      await listening;
      proc.kill("SIGTERM"); // what npm does to its child on SIGTERM or Ctrl-C
      const [code, signal] = await exited;
      assert.deepEqual(
        { code, signal },
        { code: 0, signal: null },
        `the shell, not the proxy, got the signal (start the script with exec):\n${output}`,
      );
    } finally {
      try {
        process.kill(-proc.pid!, "SIGKILL");
      } catch {
        // the group is gone: nothing was left behind
      }
    }
  });
});
