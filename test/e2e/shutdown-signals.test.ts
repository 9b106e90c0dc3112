// Signals to a real `serve` process: a keep-alive client's request in flight at SIGTERM finishes and
// the process exits right after it; --shutdown-delay keeps serving with readiness 503; a second
// signal exits at once.

import assert from "node:assert/strict";
import http from "node:http";
import { describe, it } from "node:test";
import { spawnCli, type Child } from "../support/spawn-proxy.js";

/** Far above every wait here: reaching it would mean the process held on to something. */
const LONG = "60s";
/** What "at once" means for a process on a loaded CI machine: well below LONG. */
const BOUND_MS = 10_000;

interface Reply {
  status: number;
  connection: string | undefined;
  text: string;
}

function request(url: string, agent: http.Agent | false, method = "GET", body?: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      { method, agent, headers: { accept: "application/oracle-compute-v3+json" } },
      (res) => {
        let text = "";
        res.on("data", (c: Buffer) => (text += c.toString()));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection, text }));
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

/** The zero-config proxy (fronting its in-process simulator) and both origins. */
async function startDemo(args: string[]): Promise<{ child: Child; proxy: string; sim: string }> {
  const child = spawnCli(args, { OPC_PROXY_LISTEN: "127.0.0.1:0" });
  const banner = await child.waitFor(/proxy on http:\/\/127\.0\.0\.1:\d+/);
  const proxy = banner.slice("proxy on ".length);
  const simLine = await child.waitFor(/"event":"simulator"[^\n]*/);
  const sim = (JSON.parse(`{${simLine}`) as { url: string }).url;
  return { child, proxy, sim };
}

function exitWithin(child: Child, ms: number): Promise<number | null> {
  let timer: NodeJS.Timeout;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the process did not exit within ${ms} ms`)), ms);
  });
  return Promise.race([child.exit(), late]).finally(() => clearTimeout(timer));
}

describe("serve and signals", () => {
  it("exits right after the last response of a keep-alive client, long before --drain-timeout", async () => {
    const { child, proxy, sim } = await startDemo(["--drain-timeout", LONG]);
    const agent = new http.Agent({ keepAlive: true });
    try {
      assert.equal((await request(`${proxy}/-/readyz`, agent)).connection, "keep-alive");
      await request(`${sim}/-/sim/fail`, false, "POST", JSON.stringify({ fault: { kind: "delay", ms: 500 } }));
      const slow = request(`${proxy}/shape/`, agent);
      await new Promise((r) => setTimeout(r, 200));
      child.proc.kill("SIGTERM");
      const r = await slow;
      assert.equal(r.status, 200, "the request in flight finished");
      assert.equal(r.connection, "close");
      assert.equal(await exitWithin(child, BOUND_MS), 0, "a clean drain exits 0");
      assert.doesNotMatch(child.stderr.join(""), /drain_cut/);
    } finally {
      agent.destroy();
      child.proc.kill("SIGKILL");
    }
  });

  it("--shutdown-delay: readiness is 503 at once while requests are still served, then the drain", async () => {
    const { child, proxy } = await startDemo(["--shutdown-delay", "1s", "--drain-timeout", LONG]);
    try {
      child.proc.kill("SIGTERM");
      await child.waitFor(/"event":"shutdown_delay"/);
      const ready = await request(`${proxy}/-/readyz`, false);
      assert.equal(ready.status, 503);
      assert.equal(JSON.parse(ready.text).code, "SHUTTING_DOWN");
      const shapes = await request(`${proxy}/shape/`, false);
      assert.equal(shapes.status, 200, "a new connection is still served during the delay");
      assert.equal(await exitWithin(child, BOUND_MS), 0);
      await assert.rejects(request(`${proxy}/-/healthz`, false), /ECONNREFUSED/);
    } finally {
      child.proc.kill("SIGKILL");
    }
  });

  it("a second signal during --shutdown-delay exits at once", async () => {
    const { child } = await startDemo(["--shutdown-delay", LONG]);
    try {
      child.proc.kill("SIGTERM");
      await child.waitFor(/"event":"shutdown_delay"/);
      child.proc.kill("SIGINT");
      assert.equal(await exitWithin(child, BOUND_MS), 1);
      assert.match(child.stderr.join(""), /second SIGINT, exiting now/);
    } finally {
      child.proc.kill("SIGKILL");
    }
  });
});
