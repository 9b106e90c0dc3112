// A proxy whose standard error was closed (`serve 2>&1 | head`) keeps serving and still stops
// cleanly on SIGTERM: lost log lines never hang or crash it.

import assert from "node:assert/strict";
import http from "node:http";
import { describe, it } from "node:test";
import { spawnCli } from "../support/spawn-proxy.js";

describe("a closed standard error", () => {
  it("serve keeps working and exits 0 on SIGTERM after its stderr reader went away", async () => {
    const child = spawnCli(["serve", "--listen", "127.0.0.1:0"]);
    const banner = await child.waitFor(/proxy on http:\/\/127\.0\.0\.1:\d+/);
    const base = banner.slice("proxy on ".length);
    child.proc.stderr!.destroy();
    // Every request logs a line into the closed pipe.
    for (let i = 0; i < 20; i++) assert.equal(await status(`${base}/shape/`), 200);
    const exited = child.exit();
    child.proc.kill("SIGTERM");
    const timer = setTimeout(() => child.proc.kill("SIGKILL"), 10_000);
    try {
      assert.equal(await exited, 0, "a clean exit, not a crash or a hang");
    } finally {
      clearTimeout(timer);
    }
  });
});

function status(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent: false }, (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode ?? 0));
      })
      .on("error", reject);
  });
}
