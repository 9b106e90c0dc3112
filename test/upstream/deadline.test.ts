// A deadline for the whole exchange: an API that sends its answer one byte at a time never goes
// quiet, so only a total deadline ends the login, the refresh, `auth`, `refresh_token` and `wait`.
// Real sockets on 127.0.0.1 with deadlines of a few hundred ms; nothing asserts how fast.

import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { authCommand } from "../../src/commands/auth.js";
import { refreshTokenCommand } from "../../src/commands/refresh-token.js";
import { wait } from "../../src/commands/wait.js";
import { ProxyError } from "../../src/errors.js";
import { call } from "../../src/upstream/call.js";
import { createUpstream } from "../../src/upstream/upstream.js";
import { fakeIO } from "../support/io.js";
import { send, V3 } from "../support/stack.js";
import { PASSWORD, USER, startProxy } from "../security/support/proxy.js";
import { answer, startStubApi, trickle, type StubApi } from "./support/stub-api.js";

/** Whole headers, then a body that trickles and never completes. */
const trickleBody = trickle(
  "HTTP/1.1 401 Unauthorized\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{",
);

describe("a whole-exchange deadline for session calls", () => {
  let slow: StubApi;
  let slowBody: StubApi;
  let dir: string;
  let pwFile: string;
  before(async () => {
    slow = await startStubApi(trickle());
    slowBody = await startStubApi(trickleBody);
    dir = await mkdtemp(join(tmpdir(), "opc-deadline-"));
    pwFile = join(dir, "password");
    await writeFile(pwFile, `${PASSWORD}\n`, { mode: 0o600 });
  });
  after(async () => {
    await slow.close();
    await slowBody.close();
    await rm(dir, { recursive: true, force: true });
  });

  for (const row of [
    { name: "trickled headers", stub: () => slow },
    { name: "a trickled body", stub: () => slowBody },
  ]) {
    it(`call() ends ${row.name} at the deadline with API_TIMEOUT, though bytes keep coming`, async () => {
      const upstream = createUpstream({ api: new URL(row.stub().url) });
      try {
        await assert.rejects(
          call(upstream, { method: "POST", path: "/authenticate/", body: "{}", timeoutMs: 300 }),
          (err: unknown) =>
            err instanceof ProxyError &&
            err.code === "API_TIMEOUT" &&
            /did not finish answering within 300 ms/.test(err.message),
        );
      } finally {
        upstream.close();
      }
    });
  }

  it("serve: the login is a transient failure, and a waiting client gets 503 NO_SESSION", async () => {
    // loginWaitMs 0: the client gets the 503 at once instead of waiting for the retry (manager.ts).
    const p = await startProxy(slow.url, { settings: { upstreamTimeoutMs: 300 }, policy: { loginWaitMs: 0 } });
    try {
      const s = p.proxy.session.snapshot();
      assert.equal(s.ready, false);
      assert.equal(s.lastError?.kind, "transient");
      assert.match(s.lastError?.message ?? "", /did not finish answering within 300 ms/);
      assert.equal(s.state, "backoff");
      const r = await send(p.url, "GET", "/shape/", { headers: { accept: V3 } });
      assert.equal(r.status, 503);
      assert.equal(r.json().code, "NO_SESSION");
    } finally {
      await p.close();
    }
  });

  it("auth exits 1 with a message naming --timeout", async () => {
    const f = fakeIO({ env: { OPC_API: slow.url } });
    assert.equal(await authCommand()([USER, pwFile, "--timeout", "300ms"], f.io), 1);
    assert.match(f.err(), /did not finish answering within 300 ms.*--timeout/);
    assert.equal(f.out(), "");
  });

  it("refresh_token exits 1 with a message naming --timeout", async () => {
    const f = fakeIO({ env: { OPC_API: slowBody.url, OPC_COOKIE: "some-token-value" } });
    assert.equal(await refreshTokenCommand()(["--timeout", "300ms"], f.io), 1);
    assert.match(f.err(), /did not finish answering within 300 ms.*--timeout/);
    assert.equal(f.out(), "");
  });
});

describe("wait", () => {
  it("cuts a probe that trickles at its deadline, not only between probes", async () => {
    const stub = await startStubApi(trickle());
    try {
      const f = fakeIO();
      assert.equal(await wait(["--url", stub.url, "--timeout", "600ms"], f.io), 1);
      assert.match(f.err(), /not ready after 600 ms: .*did not finish answering within 600 ms/);
    } finally {
      await stub.close();
    }
  });

  it("never copies a server's body raw to the terminal: no control characters, bounded length", async () => {
    const hostile = `\u001b[2J\u001b]0;owned\u0007\r\nfake: line\u202e${"x".repeat(5000)}`;
    for (const body of [hostile, JSON.stringify({ message: hostile, state: "backoff\u001b[0m" })]) {
      const stub = await startStubApi(answer(503, body, "text/plain"));
      try {
        const f = fakeIO();
        assert.equal(await wait(["--url", stub.url, "--timeout", "300ms"], f.io), 1);
        const err = f.err();
        // eslint-disable-next-line no-control-regex
        assert.doesNotMatch(err.slice(0, -1), /[\u0000-\u001f\u007f-\u009f\u202e]/);
        assert.ok(err.length < 800, `${err.length} characters`);
        assert.match(err, /503: /);
      } finally {
        await stub.close();
      }
    }
  });
});
