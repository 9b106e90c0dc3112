// The proxy's standard error holds log lines, never Node's own warnings: on Node 22 and 24 (CI runs
// this file on each) http-proxy's util._extend printed a DEP0060 DeprecationWarning at the first
// forwarded request. Run as a separate process, as users run it, so the warning could not have been
// used up by another test.

import assert from "node:assert/strict";
import http from "node:http";
import util from "node:util";
import { describe, it } from "node:test";
import "../../src/proxy/http-proxy-compat.js";
import { spawnCli } from "../support/spawn-proxy.js";

describe("util._extend as http-proxy calls it (http-proxy-compat.ts)", () => {
  const extend = (util as unknown as { _extend(t: object, s: unknown): object })._extend;
  it("copies own enumerable keys onto the target and returns the target", () => {
    const target = { a: 1, b: 1 };
    const source = Object.create({ inherited: 1 }) as Record<string, number>;
    source.b = 2;
    source.c = 3;
    assert.equal(extend(target, source), target);
    assert.deepEqual(target, { a: 1, b: 2, c: 3 });
  });
  it("ignores a source that is not an object", () => {
    for (const source of [undefined, null, 7, "text"])
      assert.deepEqual(extend({ a: 1 }, source), { a: 1 }, String(source));
  });
});

describe("Node's warnings", () => {
  it("none on standard error after requests are forwarded, on this Node", async () => {
    const child = spawnCli([], { OPC_PROXY_LISTEN: "127.0.0.1:0", OPC_PROXY_LOG_FORMAT: "json" });
    try {
      const banner = await child.waitFor(/proxy on (http:\/\/127\.0\.0\.1:\d+),/);
      const base = /proxy on (http:\/\/[^,]+),/.exec(banner)![1]!;
      for (const path of ["/shape/", "/sshkey/Compute-acme/"]) assert.equal(await status(`${base}${path}`), 200, path);
    } finally {
      child.proc.kill("SIGTERM");
      assert.equal(await child.exit(), 0);
    }
    const output = child.stderr.join("") + child.stdout.join("");
    assert.doesNotMatch(output, /\(node:\d+\)|Warning:/, `Node printed a warning (${process.version})`);
  });
});

function status(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent: false, headers: { accept: "application/oracle-compute-v3+json" } }, (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode ?? 0));
      })
      .on("error", reject);
  });
}
