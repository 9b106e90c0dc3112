// The drain with a real keep-alive client: a connection whose request was in flight at shutdown is
// closed as soon as its response is out, so the drain ends then, never at its grace period.

import assert from "node:assert/strict";
import http from "node:http";
import { after, before, describe, it } from "node:test";
import { assemble } from "../../src/assemble.js";
import { createLogger } from "../../src/log.js";
import { staticCredentials } from "../../src/session/credentials.js";
import { startEchoUpstream, type EchoUpstream } from "../support/echo-upstream.js";
import { logSink, testSettings } from "../support/settings.js";
import { startStack, V3 } from "../support/stack.js";

/** Far longer than any response here: a drain that waited for it would fail the bound below. */
const GRACE_MS = 60_000;
/** What "at once" means in these tests: generous for a loaded CI machine, far below GRACE_MS. */
const BOUND_MS = 10_000;

interface Answer {
  status: number;
  connection: string | undefined;
  body: Buffer;
  socketClosed: Promise<void>;
}

function get(
  base: string,
  path: string,
  agent: http.Agent,
  onHead?: (res: http.IncomingMessage) => void,
): Promise<Answer> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    http
      .get({ host: url.hostname, port: url.port, path, headers: { accept: V3 }, agent }, (res) => {
        const socketClosed = new Promise<void>((r) => res.socket.once("close", () => r()));
        onHead?.(res);
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            connection: res.headers.connection,
            body: Buffer.concat(chunks),
            socketClosed,
          }),
        );
        res.on("error", reject);
      })
      .on("error", reject);
  });
}

/** Resolves with how `p` ended, or rejects once `ms` pass (the timer never holds the test). */
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

describe("drain with keep-alive clients", () => {
  it("a request in flight at shutdown gets Connection: close, and the drain ends with its response", async () => {
    const stack = await startStack();
    const agent = new http.Agent({ keepAlive: true });
    try {
      // A first request leaves an idle keep-alive connection in the agent's pool.
      assert.equal((await get(stack.url, "/-/healthz", agent)).connection, "keep-alive");
      stack.sim.simulator.failNext(1, { kind: "delay", ms: 300 });
      const slow = get(stack.url, "/shape/", agent);
      await new Promise((r) => setTimeout(r, 100));
      const drained = stack.proxy.shutdown(GRACE_MS);
      const r = await slow;
      assert.equal(r.status, 200);
      assert.equal(r.connection, "close", "every response during the drain says Connection: close");
      await within(r.socketClosed, BOUND_MS, "closing the connection");
      await within(drained, BOUND_MS, "the drain after the last response");
    } finally {
      agent.destroy();
      await stack.sim.close();
    }
  });

  describe("a response whose head went out before the drain", () => {
    let upstream: EchoUpstream;
    before(async () => {
      upstream = await startEchoUpstream();
    });
    after(() => upstream.close());

    it("has its connection closed once the body is out", async () => {
      const log = createLogger("silent", logSink().stream);
      const proxy = await assemble(testSettings(upstream.url), {
        credentials: staticCredentials("/Compute-acme/ann", "pw", "the test password"),
        log,
      });
      await proxy.session.start();
      const agent = new http.Agent({ keepAlive: true });
      try {
        const bytes = 32 * 1024 * 1024;
        let drained: Promise<void> | undefined;
        // Paused after the head, so the body is still on its way when the drain starts.
        const r = await get(proxy.url, `/download?bytes=${bytes}`, agent, (res) => {
          res.pause();
          drained = proxy.shutdown(GRACE_MS);
          setTimeout(() => res.resume(), 100);
        });
        assert.equal(r.status, 200);
        assert.equal(r.body.length, bytes, "the download was not cut");
        assert.equal(r.connection, "keep-alive", "the head went out before the drain");
        await within(r.socketClosed, BOUND_MS, "closing the connection");
        await within(drained!, BOUND_MS, "the drain after the last response");
      } finally {
        agent.destroy();
      }
    });
  });
});
