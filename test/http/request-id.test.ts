// Request ids: a sane X-Request-Id from the client is kept, anything else replaced by a fresh one;
// the id reaches the API, the client (forwarded and proxy-made answers), the request log line and
// every error body the proxy makes.

import assert from "node:assert/strict";
import type { IncomingMessage, ServerResponse } from "node:http";
import { after, before, describe, it } from "node:test";
import { assemble, type RunningProxy } from "../../src/assemble.js";
import { assignRequestId } from "../../src/http/request-id.js";
import { createLogger } from "../../src/log.js";
import { staticCredentials } from "../../src/session/credentials.js";
import { startEchoUpstream, type EchoUpstream } from "../support/echo-upstream.js";
import { FakeClock } from "../support/fake-clock.js";
import { logSink, testSettings } from "../support/settings.js";
import { events, send } from "../support/stack.js";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe("assignRequestId", () => {
  const rows: Array<{ name: string; sent: string | undefined; kept: boolean }> = [
    { name: "a UUID", sent: "0f8fad5b-d9cb-469f-a165-70867728950e", kept: true },
    { name: "a trace-style id with dots and colons", sent: "web-1:4711.42_a", kept: true },
    { name: "128 characters", sent: "a".repeat(128), kept: true },
    { name: "absent", sent: undefined, kept: false },
    { name: "empty", sent: "", kept: false },
    { name: "129 characters", sent: "a".repeat(129), kept: false },
    { name: "a space", sent: "abc def", kept: false },
    { name: "two headers joined by Node", sent: "abc, def", kept: false },
    { name: "a quote and a brace (log or JSON injection)", sent: 'x"}{"level":"fatal', kept: false },
    { name: "a newline", sent: "x\nlevel=fatal", kept: false },
    { name: "non-ASCII", sent: "idé", kept: false },
  ];
  for (const row of rows) {
    it(`${row.kept ? "keeps" : "replaces"} ${row.name}`, () => {
      const headers: Record<string, string> = row.sent === undefined ? {} : { "x-request-id": row.sent };
      const set: Record<string, unknown> = {};
      const req = { headers } as unknown as IncomingMessage;
      const res = { setHeader: (k: string, v: unknown) => (set[k] = v) } as unknown as ServerResponse;
      const id = assignRequestId(req, res);
      if (row.kept) assert.equal(id, row.sent);
      else assert.match(id, UUID);
      assert.equal(headers["x-request-id"], id, "stored on the request, so it is forwarded and logged");
      assert.equal(set["x-request-id"], id, "set on the response");
    });
  }

  it("gives each request its own id", () => {
    const ids = new Set<string>();
    for (let i = 0; i < 100; i++) {
      ids.add(assignRequestId({ headers: {} } as IncomingMessage, { setHeader() {} } as unknown as ServerResponse));
    }
    assert.equal(ids.size, 100);
  });
});

describe("request ids through the proxy", () => {
  let api: EchoUpstream;
  let proxy: RunningProxy;
  let logs: string[];
  before(async () => {
    api = await startEchoUpstream();
    const sink = logSink();
    logs = sink.lines;
    proxy = await assemble(testSettings(api.url), {
      credentials: staticCredentials("/Compute-acme/jack", "pw", "the test password"),
      log: createLogger("info", sink.stream),
      clock: new FakeClock(Date.now()),
    });
    await proxy.session.start();
  });
  after(async () => {
    await proxy.shutdown(50);
    await api.close();
  });

  it("keeps the client's id: to the API, back to the client, and in the request log line", async () => {
    const r = await send(proxy.url, "GET", "/kept", { headers: { "x-request-id": "client-42" } });
    assert.equal(r.status, 200);
    assert.equal(r.headers["x-request-id"], "client-42");
    assert.equal(api.seen.at(-1)!.headers["x-request-id"], "client-42");
    assert.equal(events(logs, "request").find((e) => e.path === "/kept")?.requestId, "client-42");
  });

  it("makes one when the client sent none, and the API's own X-Request-Id does not replace it", async () => {
    api.extraHeaders = { "x-request-id": "api-side-id" };
    try {
      const r = await send(proxy.url, "GET", "/made");
      const id = r.headers["x-request-id"];
      assert.match(String(id), UUID);
      assert.equal(api.seen.at(-1)!.headers["x-request-id"], id);
      assert.equal(events(logs, "request").find((e) => e.path === "/made")?.requestId, id);
    } finally {
      api.extraHeaders = {};
    }
  });

  const proxyMade = [
    { name: "an unknown control path (404)", path: "/-/nope", headers: {}, status: 404 },
    { name: "a refused Host (403)", path: "/x", headers: { host: "attacker.example" }, status: 403 },
    { name: "a refused Origin (403)", path: "/x", headers: { origin: "https://attacker.example" }, status: 403 },
  ];
  for (const row of proxyMade) {
    it(`puts the id in the body and header of ${row.name}`, async () => {
      const r = await send(proxy.url, "GET", row.path, { headers: { ...row.headers, "x-request-id": "err-1" } });
      assert.equal(r.status, row.status);
      assert.equal(r.headers["x-request-id"], "err-1");
      assert.deepEqual(Object.keys(r.json()), ["message", "code", "requestId"]);
      assert.equal(r.json().requestId, "err-1");
    });
  }

  it("puts the id in the body of an error the forwarder makes (API unreachable, 502)", async () => {
    await api.close();
    const r = await send(proxy.url, "GET", "/gone", { headers: { "x-request-id": "err-2" }, fresh: true });
    assert.equal(r.status, 502, r.text);
    assert.equal(r.json().code, "API_UNREACHABLE");
    assert.equal(r.json().requestId, "err-2");
    assert.equal(r.headers["x-request-id"], "err-2");
    assert.equal(events(logs, "request").find((e) => e.path === "/gone")?.requestId, "err-2");
  });
});
