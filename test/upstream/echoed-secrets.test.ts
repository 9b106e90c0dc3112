// Secrets masked in every message: an API error body that echoes the request (cookie, password)
// reaches no log line, /-/status, readiness reason, client error or CLI message; a property test
// feeds an arbitrary secret into every error path.

import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import type http from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { after, before, describe, it } from "node:test";
import fc from "fast-check";
import { authCommand } from "../../src/commands/auth.js";
import { refreshTokenCommand } from "../../src/commands/refresh-token.js";
import { ProxyError } from "../../src/errors.js";
import { statusJson } from "../../src/http/status.js";
import { createLogger } from "../../src/log.js";
import { sendError } from "../../src/http/respond.js";
import { MASK, rememberSecret } from "../../src/secrets.js";
import { AuthFailure } from "../../src/session/api-auth.js";
import { apiMessage } from "../../src/upstream/call.js";
import { logSink } from "../support/settings.js";
import { fakeIO } from "../support/io.js";
import { send } from "../support/stack.js";
import { PASSWORD, USER, startProxy } from "../security/support/proxy.js";
import { startStubApi, type StubAnswer } from "./support/stub-api.js";

const COOKIE = "echo-c00kie-VALUE-0123456789+/==";

/** Logs in with COOKIE (unless `loginEchoes`), and answers everything else 500, echoing the request. */
function echoing(loginEchoes: boolean): StubAnswer {
  return (req, body, socket) => {
    if (req.url === "/authenticate/" && !loginEchoes) {
      socket.end(
        `HTTP/1.1 204 No Content\r\nset-cookie: nimbula=${COOKIE}; Path=/; Max-Age=1800\r\nconnection: close\r\n\r\n`,
      );
      return;
    }
    const echo = JSON.stringify({
      message: `cannot serve ${req.method} ${req.url}: cookie=${req.headers.cookie} body=${body}`,
    });
    socket.end(
      `HTTP/1.1 500 X\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(echo)}\r\nconnection: close\r\n\r\n${echo}`,
    );
  };
}

function assertClean(text: string, where: string): void {
  assert.ok(!text.includes(COOKIE), `${where} holds the cookie: ${text}`);
  assert.ok(
    !text.includes(PASSWORD) && !text.includes(JSON.stringify(PASSWORD).slice(1, -1)),
    `${where} holds the password: ${text}`,
  );
}

describe("an API error body that echoes the request", () => {
  let dir: string;
  let pwFile: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "opc-echo-"));
    pwFile = join(dir, "password");
    await writeFile(pwFile, `${PASSWORD}\n`, { mode: 0o600 });
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it("serve: the echoed password and cookie reach no log, status, readiness or client error", async () => {
    for (const loginEchoes of [true, false]) {
      const stub = await startStubApi(echoing(loginEchoes));
      const p = await startProxy(stub.url);
      try {
        if (!loginEchoes) {
          // Logged in with COOKIE; the scheduled refresh meets the echoing 500 (refresh_failed).
          await p.clock.advance(p.proxy.session.snapshot().next!.at - p.clock.now());
          await p.proxy.session.idle();
          assert.ok(stub.seen.includes("GET /refresh/"), stub.seen.join());
        }
        const s = p.proxy.session.snapshot();
        assert.match(
          s.lastError?.message ?? "",
          new RegExp(`cookie=nimbula=\\[redacted\\]|password\\\\?":\\\\?"\\[redacted\\]`.replace(/\\\[/g, "\\[")),
        );
        for (const path of ["/-/status", "/-/readyz"]) {
          const r = await send(p.url, "GET", path);
          assertClean(r.text, path);
        }
        assertClean(JSON.stringify(s), "the snapshot");
        assertClean(p.logs.join("\n"), "the logs");
        assert.ok(
          p.logs.some((l) => l.includes(MASK) && /(login|refresh)_failed/.test(l)),
          "no failure was logged",
        );
      } finally {
        await p.close();
        await stub.close();
      }
    }
  });

  it("auth and refresh_token: no echoed secret on standard error", async () => {
    const loginStub = await startStubApi(echoing(true));
    const refreshStub = await startStubApi(echoing(false));
    try {
      const a = fakeIO({ env: { OPC_API: loginStub.url } });
      assert.equal(await authCommand()([USER, pwFile], a.io), 1);
      assert.match(a.err(), /\[redacted\]/);
      assertClean(a.err(), "auth's message");
      const r = fakeIO({ env: { OPC_API: refreshStub.url, OPC_COOKIE: COOKIE } });
      assert.equal(await refreshTokenCommand()([], r.io), 1);
      assert.match(r.err(), /cookie=nimbula=\[redacted\]/);
      assertClean(r.err(), "refresh_token's message");
    } finally {
      await loginStub.close();
      await refreshStub.close();
    }
  });
});

describe("property: a remembered secret is masked on every error path", () => {
  const chars = [..."abcXYZ0189+/=;,\"\\<>{}: é\u0007\n\t%&'"];
  const secretArb = fc
    .array(fc.constantFrom(...chars), { minLength: 8, maxLength: 32 })
    .map((a) => a.join(""))
    .filter((s) => s.trim().length >= 8);
  it("API messages, auth failures, log lines, status, client errors", () => {
    const { lines, stream } = logSink();
    const log = createLogger("debug", stream);
    fc.assert(
      fc.property(secretArb, fc.constantFrom("", "x", "<b>", "\n"), (secret, pad) => {
        rememberSecret(secret);
        const inText = `${pad}before ${secret} after${pad}`;
        const outputs: string[] = [
          apiMessage(JSON.stringify({ message: inText })),
          apiMessage(inText),
          apiMessage(`<html><p>${inText}</p></html>`),
          new AuthFailure("transient", inText).message,
          JSON.stringify(
            statusJson(
              {
                state: "backoff",
                ready: false,
                user: USER,
                refreshing: false,
                consecutiveFailures: 1,
                counters: {
                  logins: 0,
                  refreshes: 0,
                  adopted: 0,
                  loginFailures: 1,
                  refreshFailures: 0,
                  unauthorized: 0,
                },
                reason: inText,
                lastError: { op: "login", kind: "transient", message: inText, at: 0 },
              },
              { version: "t", api: "http://x", listen: "l", startedAt: 0, draining: false },
              0,
            ),
          ),
        ];
        const res = new PassThrough() as unknown as http.ServerResponse & { body?: string };
        let body = "";
        Object.assign(res, { writeHead: () => res, end: (b: string) => (body = b) });
        sendError(res, new ProxyError("NO_SESSION", inText));
        outputs.push(body);
        lines.length = 0;
        log.warn(inText);
        log.warn({ event: "refresh_failed", error: inText }, inText);
        log.error({ err: new Error(inText) }, "failed");
        outputs.push(...lines.map((l) => JSON.stringify(Object.values(JSON.parse(l) as object))));
        const escaped = JSON.stringify(secret).slice(1, -1);
        for (const o of outputs) {
          assert.ok(!o.includes(secret) && !o.includes(escaped), `secret ${JSON.stringify(secret)} in ${o}`);
        }
      }),
      { numRuns: 200 },
    );
  });
});
