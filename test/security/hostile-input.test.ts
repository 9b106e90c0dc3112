// Hostile and broken input from both sides, each answered with a clear status while the proxy keeps
// serving everyone else: malformed requests on raw sockets, clients that vanish mid-transfer, and
// an API that sends garbage cookies, HTML error pages, truncated bodies, resets or nothing at all.

import assert from "node:assert/strict";
import http from "node:http";
import { after, before, describe, it } from "node:test";
import { DEMO_PASSWORD, DEMO_USER, startSimulator, type RunningSimulator } from "../../src/simulator/index.js";
import { events, send, startStack, V3, type Stack } from "../support/stack.js";
import { startFakeApi, type FakeApi } from "./support/fake-api.js";
import { startProxy, type TestProxy } from "./support/proxy.js";
import { get, json, raw } from "./support/raw.js";

/** Polls `cond` (real I/O under way, not our timers) for up to 3 s. */
async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 300 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(cond(), what);
}

describe("malformed requests", () => {
  let stack: Stack;
  let port: number;
  before(async () => {
    stack = await startStack();
    port = Number(new URL(stack.url).port);
  });
  after(() => stack.close());

  const cases: Array<[string, string | Buffer, number, RegExp]> = [
    ["a garbage request line", "GARBAGE\r\n\r\n", 400, /malformed request line/],
    ["an unknown method", "FROB /shape/ HTTP/1.1\r\nHost: localhost\r\n\r\n", 400, /unknown method/],
    ["a method the API never uses", "PROPFIND /shape/ HTTP/1.1\r\nHost: localhost\r\n\r\n", 405, /not forwarded/],
    ["an unsupported HTTP version", "GET /shape/ HTTP/9.9\r\nHost: localhost\r\n\r\n", 400, /malformed request line/],
    ["an HTTP/2 preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 400, /HTTP\/1\.1/],
    ["a space in the target", "GET /a b HTTP/1.1\r\nHost: localhost\r\n\r\n", 400, /malformed/],
    ["a control character in the target", "GET /a\x01b HTTP/1.1\r\nHost: localhost\r\n\r\n", 400, /percent-encode/],
    [
      "raw UTF-8 in the target",
      Buffer.from("GET /sshkey/é HTTP/1.1\r\nHost: localhost\r\n\r\n"),
      400,
      /percent-encode/,
    ],
    ["a backslash in the path", "GET /a\\b HTTP/1.1\r\nHost: localhost\r\n\r\n", 400, /backslash/i],
    [
      "a header without a colon",
      "GET /shape/ HTTP/1.1\r\nHost: localhost\r\nBroken header\r\n\r\n",
      400,
      /malformed header/,
    ],
    [
      "a space in a header name",
      "GET /shape/ HTTP/1.1\r\nHost: localhost\r\nBad Name: x\r\n\r\n",
      400,
      /malformed header/,
    ],
    [
      "a NUL in a header value",
      "GET /shape/ HTTP/1.1\r\nHost: localhost\r\nX: a\x00b\r\n\r\n",
      400,
      /malformed header/,
    ],
    ["obsolete line folding", "GET /shape/ HTTP/1.1\r\nHost: localhost\r\nX: a\r\n b\r\n\r\n", 400, /malformed header/],
    ["bare LF line ends", "GET /shape/ HTTP/1.1\nHost: localhost\n\n", 400, /malformed/],
    [
      "Content-Length with Transfer-Encoding",
      "POST /sshkey/ HTTP/1.1\r\nHost: localhost\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
      400,
      /Content-Length/,
    ],
    [
      "two Content-Lengths",
      "POST /sshkey/ HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
      400,
      /Content-Length/,
    ],
    [
      "a Transfer-Encoding not ending in chunked",
      "POST /sshkey/ HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: gzip\r\n\r\n",
      400,
      /Transfer-Encoding/,
    ],
    [
      "a malformed chunk size",
      "POST /sshkey/ HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\nContent-Type: application/oracle-compute-v3+json\r\n\r\nZZ\r\n{}\r\n0\r\n\r\n",
      400,
      /chunked/,
    ],
    [
      "a 40 KiB header",
      `GET /shape/ HTTP/1.1\r\nHost: localhost\r\nX-Big: ${"a".repeat(40 * 1024)}\r\n\r\n`,
      431,
      /32 KiB/,
    ],
    [
      "80 KiB of small headers",
      `GET /shape/ HTTP/1.1\r\nHost: localhost\r\n${"X-A: 1\r\n".repeat(10_000)}\r\n`,
      431,
      /larger than/,
    ],
  ];
  for (const [what, data, status, message] of cases) {
    it(`answers ${what} with ${status} and keeps serving`, async () => {
      const r = await raw(port, data, { untilResponse: true });
      assert.equal(r.status, status, r.raw.slice(0, 300));
      const body = json(r);
      assert.match(body.message, message);
      assert.ok(body.code);
      const ok = await send(stack.url, "GET", "/shape/", { headers: { accept: V3 }, fresh: true });
      assert.equal(ok.status, 200);
    });
  }

  it("forwards invalid percent-encoding untouched and relays the API's own answer", async () => {
    const before = stack.sim.simulator.counters().requests;
    const r = await raw(port, get("/sshkey/Compute-acme/%zz%4", "localhost", [`Accept: ${V3}`]), {
      untilResponse: true,
    });
    assert.ok(r.status >= 400 && r.status < 500, r.raw.slice(0, 300));
    assert.equal(typeof json(r).message, "string");
    assert.equal(stack.sim.simulator.counters().requests, before + 1, "the API decided, not the proxy");
    assert.equal((await send(stack.url, "GET", "/shape/", { headers: { accept: V3 } })).status, 200);
  });

  it("cleans up after a client that disconnects mid-upload", async () => {
    const head =
      "POST /sshkey/ HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/oracle-compute-v3+json\r\nContent-Length: 100000\r\n\r\n";
    await raw(port, head + "{".padEnd(1000, " "), { timeoutMs: 200 });
    await until(
      () => events(stack.logs, "request").some((e) => e.clientAborted === true),
      "the aborted upload is logged",
    );
    const aborted = events(stack.logs, "request").find((e) => e.clientAborted === true);
    assert.equal(aborted?.status, 499, "logged with a status the client never got");
    assert.equal((await send(stack.url, "GET", "/shape/", { headers: { accept: V3 } })).status, 200);
  });
});

describe("a broken API", () => {
  let api: FakeApi;
  let p: TestProxy;
  before(async () => {
    api = await startFakeApi();
    p = await startProxy(api.url, { settings: { upstreamTimeoutMs: 500 } });
  });
  after(async () => {
    await p.close();
    await api.close();
  });
  const get200 = async () =>
    assert.equal((await send(p.url, "GET", "/shape/", { headers: { accept: V3 } })).status, 200);

  it("survives garbage Set-Cookie lines, and none of nimbula reaches the client", async () => {
    api.handler = (req, res) => {
      if (req.url !== "/garbage") return false;
      res.setHeader("set-cookie", [
        "nimbula=",
        "nimbula",
        ";;;",
        "=novalue",
        "nimbula=x; Max-Age=abc",
        'nimbula="unterminated',
        `nimbula=${"A".repeat(8000)}`,
        "theme=dark; Path=/",
      ]);
      res.writeHead(200, { "content-type": "application/json" }).end('{"result": []}');
    };
    const r = await send(p.url, "GET", "/garbage", { headers: { accept: V3 } });
    assert.equal(r.status, 200);
    assert.deepEqual(
      r.headers["set-cookie"],
      ["nimbula", ";;;", "=novalue", "theme=dark; Path=/"].filter((l) => !/nimbula=/.test(l)),
    );
    await get200();
  });

  it("passes an HTML error page through with its status", async () => {
    api.handler = (req, res) => {
      if (req.url !== "/html") return false;
      res.writeHead(502, { "content-type": "text/html" }).end("<html><body><h1>502 Bad Gateway</h1></body></html>");
    };
    const r = await send(p.url, "GET", "/html");
    assert.equal(r.status, 502);
    assert.match(r.text, /Bad Gateway/);
    await get200();
  });

  it("breaks off a truncated body instead of passing it as complete", async () => {
    api.handler = (req, res) => {
      if (req.url !== "/truncated") return false;
      res.writeHead(200, { "content-type": "application/json", "content-length": "1000" });
      res.write('{"result": [');
      setTimeout(() => res.socket?.destroy(), 20);
    };
    const outcome = await new Promise<string>((resolve) => {
      const u = new URL(p.url);
      http
        .get({ host: u.hostname, port: u.port, path: "/truncated", agent: false }, (res) => {
          let size = 0;
          res.on("data", (c: Buffer) => (size += c.length));
          res.on("end", () => resolve(`complete ${size}`));
          res.on("aborted", () => resolve("aborted"));
          res.on("error", () => resolve("aborted"));
        })
        .on("error", () => resolve("aborted"));
    });
    assert.equal(outcome, "aborted");
    await get200();
  });

  it("answers 502 with JSON when the API resets the connection or does not speak HTTP", async () => {
    api.handler = (req, res) => {
      if (req.url === "/reset") req.socket.resetAndDestroy();
      else if (req.url === "/not-http") res.socket?.end("SSH-2.0-OpenSSH_9.6\r\n\r\n");
      else return false;
    };
    for (const path of ["/reset", "/not-http"]) {
      const r = await send(p.url, "POST", path, { headers: { "content-type": V3 }, body: "{}", fresh: true });
      assert.equal(r.status, 502, path);
      assert.equal(r.json().code, "API_UNREACHABLE");
      assert.match(r.json().message, /cannot reach the API/);
    }
    await get200();
  });

  it("answers 504 with JSON when the API sends nothing", async () => {
    api.handler = (req) => {
      if (req.url !== "/silent") return false;
    };
    const r = await send(p.url, "GET", "/silent", { fresh: true });
    assert.equal(r.status, 504);
    assert.equal(r.json().code, "API_TIMEOUT");
    assert.match(r.json().message, /--upstream-timeout/);
    await get200();
  });

  it("stops the upstream request when the client disconnects mid-download", async () => {
    let timer: NodeJS.Timeout | undefined;
    api.handler = (req, res) => {
      if (req.url !== "/slow-download") return false;
      res.writeHead(200, { "content-type": "application/octet-stream" });
      let n = 0;
      timer = setInterval(() => {
        if (n++ > 200) {
          clearInterval(timer);
          res.end();
        } else res.write(Buffer.alloc(1024, 120));
      }, 10);
      res.on("close", () => clearInterval(timer));
    };
    const before = api.requests.length;
    await new Promise<void>((resolve) => {
      const u = new URL(p.url);
      const req = http.get({ host: u.hostname, port: u.port, path: "/slow-download", agent: false }, (res) => {
        res.once("data", () => {
          req.destroy();
          resolve();
        });
      });
      req.on("error", () => resolve());
    });
    await until(() => api.requests[before]?.aborted === true, "the API's response is abandoned");
    clearInterval(timer);
    await get200();
  });
});

describe("a login that meets an HTML error page", () => {
  let sim: RunningSimulator;
  after(() => sim?.close());
  it("reports the page's text, answers 503 with it, and recovers after the backoff", async () => {
    const { FakeClock } = await import("../support/fake-clock.js");
    const clock = new FakeClock(Date.now());
    sim = await startSimulator({ users: [{ user: DEMO_USER, password: DEMO_PASSWORD }], clock });
    const { staticCredentials } = await import("../../src/session/credentials.js");
    const p = await startProxy(sim.url, {
      start: false,
      credentials: staticCredentials(DEMO_USER, DEMO_PASSWORD, "test"),
      // 503 at once during the backoff (no waiting for the retry), so the page's text is what the client reads.
      policy: { loginWaitMs: 0 },
    });
    try {
      sim.simulator.failNext(1, { kind: "html", status: 503 });
      await p.proxy.session.start();
      const r = await send(p.url, "GET", "/shape/", { headers: { accept: V3 } });
      assert.equal(r.status, 503);
      assert.equal(r.json().code, "NO_SESSION");
      assert.match(r.json().message, /login failed with HTTP 503: 503 Service Unavailable/);
      assert.doesNotMatch(r.json().message, /<html>/);
      await p.clock.advance(60_000);
      await p.proxy.session.idle();
      assert.equal((await send(p.url, "GET", "/shape/", { headers: { accept: V3 } })).status, 200);
    } finally {
      await p.close();
    }
  });
});
