// The zero-configuration start: with no API configured, the command line runs the simulator
// in-process and the proxy in front of it, logged in, and says what it did.

import assert from "node:assert/strict";
import http from "node:http";
import { describe, it } from "node:test";
import { spawnCli } from "../support/spawn-proxy.js";

describe("zero-configuration start", () => {
  it("`opc-auth-proxy` with no configuration fronts the built-in simulator, logged in", async () => {
    const child = spawnCli([], { OPC_PROXY_LISTEN: "127.0.0.1:0" });
    try {
      const banner = await child.waitFor(
        /proxy on (http:\/\/127\.0\.0\.1:\d+), logged in to the built-in simulator[^\n]*\nTry:\n[^\n]*curl[^\n]*/,
      );
      const base = /proxy on (http:\/\/[^,]+),/.exec(banner)![1]!;
      const shapes = await get(`${base}/shape/`, { accept: "application/oracle-compute-v3+json" });
      assert.equal(shapes.status, 200);
      const first = JSON.parse(shapes.text).result[0] as { uri: string };
      assert.ok(first.uri.startsWith(`${base}/shape/`), `uri ${first.uri} names the proxy, so following it works`);
      assert.equal((await get(first.uri, { accept: "application/oracle-compute-v3+json" })).status, 200);
      assert.equal((await get(`${base}/-/readyz`)).status, 200);
    } finally {
      child.proc.kill("SIGTERM");
      assert.equal(await child.exit(), 0);
    }
  });
});

function get(url: string, headers: http.OutgoingHttpHeaders = {}): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent: false, headers }, (res) => {
        let text = "";
        res.on("data", (c: Buffer) => (text += c.toString()));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
      })
      .on("error", reject);
  });
}
