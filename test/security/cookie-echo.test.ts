// The managed cookie never reaches the client, even when the API echoes it: in error bodies of any
// type, size and framing, in the 401 after a re-login, in any response header, in Set-Cookie lines.

import assert from "node:assert/strict";
import { once } from "node:events";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { PassThrough } from "node:stream";
import { after, before, describe, it } from "node:test";
import { cookieForms, maskCookieHeaders } from "../../src/proxy/cookie-mask.js";
import { RewriteStream } from "../../src/proxy/uri-rewrite.js";
import { MASK } from "../../src/secrets.js";
import { mentionsNimbula } from "../../src/session/cookie.js";
import { send } from "../support/stack.js";
import { startProxy, type TestProxy } from "./support/proxy.js";

/** base64-like, so its JSON-escaped (`\/`) and percent-encoded forms differ from it. */
const issue = (n: number) => `c00kie+${n}/VALUE==`;

type Echo = (res: http.ServerResponse, cookie: string, body: string) => void;
const json =
  (status: number, body: unknown): Echo =>
  (res) => {
    const text = JSON.stringify(body);
    res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
    res.end(text);
  };

const ECHOES: Record<string, Echo> = {
  "/echo400": (res, c) => json(400, { message: `bad request, you sent Cookie: nimbula=${c}` })(res, c, ""),
  "/echo500": (res, c) => {
    res.writeHead(500, { "content-type": "text/plain" });
    res.end(`error; Cookie was nimbula=${c}`);
  },
  "/echooctet": (res, c) => {
    res.writeHead(400, { "content-type": "application/octet-stream" });
    res.end(Buffer.from(`Cookie ${c}`));
  },
  "/echochunk": (res, c) => {
    res.writeHead(400, { "content-type": "application/json" });
    res.write('{"message":"Cookie: ');
    res.write(c.slice(0, 5));
    setTimeout(() => res.end(`${c.slice(5)}"}`), 20);
  },
  "/echobig": (res, c) => json(400, { pad: "x".repeat(100_000), message: `Cookie: ${c}` })(res, c, ""),
  "/echoslash": (res, c) => {
    const text = `{"message":"${c.replaceAll("/", "\\/")}"}`;
    res.writeHead(422, { "content-type": "application/json", "content-length": text.length });
    res.end(text);
  },
  "/echohdr": (res, c) => {
    res.writeHead(200, {
      "x-debug-cookie": `nimbula=${c}`,
      "www-authenticate": `x ${c}`,
      "set-cookie": [`other=nimbula=${c}`, `other2=${c}`, "y=1"],
      "content-type": "application/json",
    });
    res.end("{}");
  },
  "/redir": (res, c) => {
    res.writeHead(302, { location: `http://127.0.0.1:1/x?c=${encodeURIComponent(c)}` });
    res.end();
  },
  "/always401": (res, c) => json(401, { message: `Authorization token is invalid (${c})` })(res, c, ""),
};

interface Row {
  name: string;
  method?: string;
  path: string;
  body?: string;
  status: number;
  masked: "body" | "headers";
}

const ROWS: Row[] = [
  { name: "a JSON 400 with Content-Length", path: "/echo400", status: 400, masked: "body" },
  { name: "a text/plain 500, no Content-Length", path: "/echo500", status: 500, masked: "body" },
  { name: "an octet-stream 400", path: "/echooctet", status: 400, masked: "body" },
  { name: "a chunked 400 split inside the cookie", path: "/echochunk", status: 400, masked: "body" },
  { name: "a 100 KB JSON 400 (streamed)", path: "/echobig", status: 400, masked: "body" },
  { name: "a JSON-escaped echo (\\/)", path: "/echoslash", status: 422, masked: "body" },
  { name: "the final 401 after re-login and retry", path: "/always401", status: 401, masked: "body" },
  {
    name: "the 401 of a request too large to send again",
    method: "POST",
    path: "/always401",
    body: "z".repeat(2048),
    status: 401,
    masked: "body",
  },
  {
    name: "X-Debug-Cookie, WWW-Authenticate and Set-Cookie on a 200",
    path: "/echohdr",
    status: 200,
    masked: "headers",
  },
  { name: "a Location quoting it percent-encoded", path: "/redir", status: 302, masked: "headers" },
];

describe("the managed cookie echoed by the API", () => {
  let api: http.Server;
  let p: TestProxy;
  const issued: string[] = [];
  before(async () => {
    api = http.createServer((req, res) => {
      let body = "";
      req.on("data", (c: Buffer) => (body += c.toString()));
      req.on("end", () => {
        if (req.url === "/authenticate/" || req.url === "/refresh/") {
          issued.push(issue(issued.length));
          res.writeHead(204, { "set-cookie": `nimbula=${issued.at(-1)}; Path=/; Max-Age=1800` });
          return res.end();
        }
        const cookie = /nimbula=([^;]*)/.exec(req.headers.cookie ?? "")?.[1] ?? "";
        const echo = ECHOES[req.url ?? ""];
        if (echo) return echo(res, cookie, body);
        res.writeHead(404);
        res.end();
      });
    });
    api.listen(0, "127.0.0.1");
    await once(api, "listening");
    p = await startProxy(`http://127.0.0.1:${(api.address() as AddressInfo).port}`, {
      settings: { maxReplayBytes: 1024 },
    });
  });
  after(async () => {
    await p.close();
    api.closeAllConnections();
    api.close();
  });

  for (const row of ROWS) {
    it(`${row.name}: masked, framed right`, async () => {
      const r = await send(p.url, row.method ?? "GET", row.path, { body: row.body, fresh: true });
      assert.equal(r.status, row.status, r.text);
      const head = JSON.stringify(r.headers);
      for (const c of issued) {
        for (const form of cookieForms(c)) {
          assert.ok(!r.text.includes(form), `the body holds ${form}: ${r.text.slice(-200)}`);
          assert.ok(!head.includes(form), `a header holds ${form}: ${head}`);
        }
      }
      if (row.masked === "body") assert.ok(r.text.includes(MASK), r.text.slice(-200));
      else assert.ok(head.includes(MASK), head);
      if (r.headers["content-length"] !== undefined) assert.equal(Number(r.headers["content-length"]), r.body.length);
    });
  }

  it("a Set-Cookie line that only holds other cookies survives", async () => {
    const r = await send(p.url, "GET", "/echohdr");
    assert.ok(r.headers["set-cookie"]?.includes("y=1"), JSON.stringify(r.headers["set-cookie"]));
  });
});

describe("mentionsNimbula", () => {
  const rows = [
    { line: "nimbula=v; Path=/", yes: true },
    { line: "a=1, nimbula=v", yes: true },
    { line: "a=1;nimbula=v", yes: true },
    { line: "other=nimbula=v", yes: true },
    { line: 'other="nimbula=v"', yes: true },
    { line: "NIMBULA = v", yes: true },
    { line: "y=1; Path=/", yes: false },
    { line: "nimbulax=1", yes: false },
  ];
  for (const row of rows) it(`${row.line} → ${row.yes}`, () => assert.equal(mentionsNimbula(row.line), row.yes));
});

describe("maskCookieHeaders", () => {
  const c = "abc+/=value";
  const rows = [
    { name: "raw", headers: { "x-a": `k=${c}` }, out: { "x-a": MASK } },
    { name: "percent-encoded", headers: { location: `/x?c=${encodeURIComponent(c)}` }, out: { location: MASK } },
    { name: "one line of several", headers: { "set-cookie": ["y=1", `z=${c}`] }, out: { "set-cookie": ["y=1", MASK] } },
    {
      name: "untouched",
      headers: { "x-a": "nothing", "content-length": 3 },
      out: { "x-a": "nothing", "content-length": 3 },
    },
    { name: "a cookie too short to mask", headers: { "x-a": "abc" }, out: { "x-a": "abc" }, cookie: "abc" },
  ];
  for (const row of rows) {
    it(row.name, () => assert.deepEqual(maskCookieHeaders({ ...row.headers }, row.cookie ?? c), row.out));
  }
});

describe("the masking stream", () => {
  it("finds the cookie split at every byte boundary, next to any byte", async () => {
    const c = "SECRETabc123";
    const input = `x${c}y${c}`;
    for (let cut = 0; cut <= input.length; cut++) {
      const s = new RewriteStream([{ from: Buffer.from(c), to: Buffer.from(MASK), anywhere: true }]);
      const out = new PassThrough();
      s.pipe(out);
      s.write(input.slice(0, cut));
      s.end(input.slice(cut));
      let text = "";
      for await (const chunk of out) text += String(chunk);
      assert.equal(text, `x${MASK}y${MASK}`, `cut at ${cut}`);
    }
  });
});
