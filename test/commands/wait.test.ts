// The `wait` command against real proxies: exit 0 once /-/readyz answers 200 (TCP, unix socket,
// OPC_PROXY_LISTEN), exit 1 after --timeout with the last reason (nothing listening, login rejected),
// exit 2 on bad usage. Timeouts are one second of real time, the only waiting here.

import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { wait, probeTarget } from "../../src/commands/wait.js";
import { USER, startStack } from "../support/stack.js";
import { fakeIO } from "../support/io.js";

/** A loopback port nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe("wait command", () => {
  it("exits 0 once a running proxy is ready", async () => {
    const stack = await startStack();
    try {
      const f = fakeIO();
      assert.equal(await wait(["--url", stack.url, "--timeout", "5s"], f.io), 0, f.err());
      assert.match(f.err(), /is ready/);
      const port = new URL(stack.url).port;
      const g = fakeIO({ env: { OPC_PROXY_LISTEN: `127.0.0.1:${port}` } });
      assert.equal(await wait(["--timeout", "5"], g.io), 0, g.err());
    } finally {
      await stack.close();
    }
  });

  it("waits for the first login, then exits 0", async () => {
    const stack = await startStack({ start: false });
    try {
      const f = fakeIO();
      const waiting = wait(["--url", stack.url, "--timeout", "5s"], f.io);
      await new Promise((r) => setTimeout(r, 300));
      await stack.proxy.session.start();
      assert.equal(await waiting, 0, f.err());
    } finally {
      await stack.close();
    }
  });

  it("works over a unix socket, from --url and from OPC_PROXY_LISTEN", async () => {
    const dir = await mkdtemp(join(tmpdir(), "opc-wait-"));
    const socket = join(dir, "proxy.sock");
    const stack = await startStack({ proxy: { listen: { kind: "unix", path: socket }, listenText: `unix:${socket}` } });
    try {
      const f = fakeIO();
      assert.equal(await wait(["--url", `unix:${socket}`, "--timeout", "5s"], f.io), 0, f.err());
      const g = fakeIO({ env: { OPC_PROXY_LISTEN: `unix:${socket}` } });
      assert.equal(await wait(["--timeout", "5s"], g.io), 0, g.err());
    } finally {
      await stack.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("exits 1 after --timeout when nothing listens, saying so", async () => {
    const port = await closedPort();
    const f = fakeIO();
    assert.equal(await wait(["--url", `http://127.0.0.1:${port}`, "--timeout", "1s"], f.io), 1);
    assert.match(f.err(), new RegExp(`http://127\\.0\\.0\\.1:${port} not ready after 1 s: .*connection refused`));
  });

  it("exits 1 after --timeout with the proxy's reason when its login is rejected", async () => {
    const stack = await startStack({ sim: { users: [{ user: USER, password: "another-password" }] }, start: false });
    try {
      await stack.proxy.session.start();
      const f = fakeIO();
      assert.equal(await wait(["--url", stack.url, "--timeout", "1s"], f.io), 1);
      assert.match(f.err(), /not ready after 1 s: 503: login rejected: Incorrect username or password/);
    } finally {
      await stack.close();
    }
  });

  it("exits 1 at once when interrupted", async () => {
    const port = await closedPort();
    const f = fakeIO();
    const waiting = wait(["--url", `127.0.0.1:${port}`, "--timeout", "30s"], f.io);
    setTimeout(() => f.abort(), 100);
    assert.equal(await waiting, 1);
    assert.match(f.err(), /interrupted/);
  });

  it("exits 2 on bad usage, naming each problem", async () => {
    const f = fakeIO({ env: { OPC_PROXY_LISTEN: "nowhere" } });
    assert.equal(await wait(["--timeout", "soon"], f.io), 2);
    assert.match(f.err(), /OPC_PROXY_LISTEN: "nowhere" is not HOST:PORT/);
    assert.match(f.err(), /--timeout: "soon" is not a duration/);
    const g = fakeIO();
    assert.equal(await wait(["--url", "https://127.0.0.1:8080", "stray"], g.io), 2);
    assert.match(g.err(), /must start with http:\/\//);
    assert.match(g.err(), /unexpected argument "stray"/);
  });

  it("reaches a wildcard listen address on loopback, and keeps a path given in the URL", () => {
    const problems: string[] = [];
    assert.deepEqual(probeTarget("0.0.0.0:8080", "x", problems), {
      kind: "tcp",
      url: new URL("http://127.0.0.1:8080/-/readyz"),
    });
    assert.deepEqual(probeTarget("[::]:8080", "x", problems), {
      kind: "tcp",
      url: new URL("http://[::1]:8080/-/readyz"),
    });
    assert.deepEqual(probeTarget("http://proxy:8080/-/healthz", "x", problems), {
      kind: "tcp",
      url: new URL("http://proxy:8080/-/healthz"),
    });
    assert.deepEqual(problems, []);
  });

  it("shows help with examples, exit 0", async () => {
    const f = fakeIO();
    assert.equal(await wait(["--help"], f.io), 0);
    assert.match(f.out(), /startupProbe/);
  });
});
