// A corporate proxy's refusal is not a wrong password: a CONNECT answered 403 or 407, or a gateway's
// 401 page, is a transient failure that names the variable to check and never counts toward the
// lockout guard; only the API's own 401 (with its JSON body) is a rejected login. Also for `auth`.

import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { authCommand } from "../../src/commands/auth.js";
import { AuthFailure, createAuthClient } from "../../src/session/api-auth.js";
import { createUpstream } from "../../src/upstream/upstream.js";
import { fakeIO } from "../support/io.js";
import { startCorpProxy, type CorpProxy } from "../security/support/corp-proxy.js";
import { PASSWORD, USER, startProxy } from "../security/support/proxy.js";
import { answer, startStubApi } from "./support/stub-api.js";

const API = "https://api.test.invalid:8443";

describe("a CONNECT proxy that refuses the tunnel", () => {
  const corps: Record<number, CorpProxy> = {};
  let dir: string;
  let pwFile: string;
  before(async () => {
    for (const status of [403, 407]) corps[status] = await startCorpProxy(9, { refuseConnect: status });
    dir = await mkdtemp(join(tmpdir(), "opc-refusal-"));
    pwFile = join(dir, "password");
    await writeFile(pwFile, `${PASSWORD}\n`, { mode: 0o600 });
  });
  after(async () => {
    for (const c of Object.values(corps)) await c.close();
    await rm(dir, { recursive: true, force: true });
  });

  const rows = [
    { name: "403 (policy)", status: 403, says: /check HTTPS_PROXY and NO_PROXY/ },
    { name: "407 (credentials)", status: 407, says: /wants credentials: put them in HTTPS_PROXY/ },
  ];
  for (const row of rows) {
    it(`serve: ${row.name} is transient, names HTTPS_PROXY, and never blocks the proxy`, async () => {
      const p = await startProxy(API, { env: { HTTPS_PROXY: corps[row.status]!.url } });
      try {
        // Well past the three answers after which a rejected password would block the proxy.
        for (let i = 0; i < 5; i++) {
          const s = p.proxy.session.snapshot();
          assert.equal(s.lastError?.kind, "transient", s.lastError?.message);
          assert.equal(s.state, "backoff", s.reason);
          assert.match(s.lastError?.message ?? "", /the proxy said no, not the API \(not a wrong password\)/);
          assert.match(s.lastError?.message ?? "", row.says);
          assert.doesNotMatch(s.reason ?? "", /password file|check the test password/);
          await p.clock.advance(s.next!.at - p.clock.now());
          await p.proxy.session.idle();
        }
        assert.ok(p.proxy.session.snapshot().counters.loginFailures >= 5);
        assert.ok(corps[row.status]!.tunnels.length >= 5);
      } finally {
        await p.close();
      }
    });

    it(`auth: ${row.name} exits 1 without blaming the password`, async () => {
      const f = fakeIO({ env: { OPC_API: API, HTTPS_PROXY: corps[row.status]!.url } });
      assert.equal(await authCommand()([USER, pwFile, "--timeout", "5s"], f.io), 1);
      assert.match(f.err(), row.says);
      assert.doesNotMatch(f.err(), /login rejected|check the user name/);
    });
  }
});

describe("classifying login answers", () => {
  const rows = [
    {
      name: "the API's 401 with its JSON body",
      status: 401,
      body: '{"message": "Incorrect username or password"}',
      kind: "rejected",
    },
    { name: "a gateway's 401 page", status: 401, body: "<html>Unauthorized</html>", kind: "transient" },
    { name: "an empty 401", status: 401, body: "", kind: "transient" },
    { name: "a forward proxy's 407", status: 407, body: "<html>auth</html>", kind: "transient" },
    { name: "a 403 page", status: 403, body: "<html>Forbidden</html>", kind: "transient" },
    { name: "a 403 with a JSON body", status: 403, body: '{"message": "Forbidden"}', kind: "transient" },
    { name: "a 503", status: 503, body: '{"message": "down"}', kind: "transient" },
  ];
  for (const row of rows) {
    it(`${row.name} is ${row.kind}`, async () => {
      const stub = await startStubApi(
        answer(row.status, row.body, row.body.startsWith("{") ? "application/json" : "text/html"),
      );
      const upstream = createUpstream({ api: new URL(stub.url) });
      try {
        await assert.rejects(
          createAuthClient(upstream, 2_000).authenticate(USER, PASSWORD),
          (err: unknown) => err instanceof AuthFailure && err.kind === row.kind && err.status === row.status,
        );
      } finally {
        upstream.close();
        await stub.close();
      }
    });
  }
});
