// Contract tests for what the proxy relies on in http-proxy-middleware ~3.0 / http-proxy 1.18 and
// @hono/node-server: which request fields it reads from our stand-in, that `proxyReq` is skipped
// when the request carries `Expect`, and the RESPONSE_ALREADY_SENT handoff. An upgrade that changes
// any of these fails here, not in production.

import assert from "node:assert/strict";
import { once } from "node:events";
import http, { type ClientRequest, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { PassThrough } from "node:stream";
import { after, before, describe, it } from "node:test";
import { getRequestListener, type HttpBindings } from "@hono/node-server";
import { RESPONSE_ALREADY_SENT } from "@hono/node-server/utils/response";
import { Hono } from "hono";
import {
  STAND_IN_FIELDS,
  createSender,
  proxyTarget,
  standIn,
  type Attempt,
  type AttemptEvents,
} from "../../src/proxy/http-proxy-adapter.js";
import { createUpstream, type Upstream } from "../../src/upstream/upstream.js";
import { emptyBody, type OutgoingBody } from "../../src/proxy/body.js";
import { startEchoUpstream, type EchoUpstream } from "../support/echo-upstream.js";

/** Every property a plain body stream already has: reading those is stream plumbing, not a field. */
const STREAM_PROPERTIES = new Set<string>();
for (let o: object | null = new PassThrough(); o; o = Object.getPrototypeOf(o) as object | null) {
  for (const k of Object.getOwnPropertyNames(o)) STREAM_PROPERTIES.add(k);
}

interface Run {
  reads: Set<string>;
  proxyReqs: number;
  status: number;
  body: string;
}

let echo: EchoUpstream;
let upstream: Upstream;

before(async () => {
  echo = await startEchoUpstream();
  upstream = createUpstream({ api: new URL(echo.url) });
});
after(async () => {
  upstream.close();
  await echo.close();
});

/** Sends one request through the adapter, with the stand-in wrapped in a Proxy that records reads. */
async function forwardOnce(headers: Record<string, string>, body: string | undefined): Promise<Run> {
  const send = createSender({ upstream });
  const reads = new Set<string>();
  let proxyReqs = 0;
  const server = http.createServer((client, res) => {
    const events: AttemptEvents = {
      onProxyReq: (_a: Attempt, _p: ClientRequest) => void proxyReqs++,
      onResponse: (_a: Attempt, up: IncomingMessage) => {
        res.writeHead(up.statusCode ?? 502);
        up.pipe(res);
      },
      onError: (_a: Attempt, err: Error) => void res.writeHead(599).end(err.message),
    };
    let stream: OutgoingBody = emptyBody();
    if (body !== undefined) client.pipe((stream = new PassThrough()));
    const method = body === undefined ? "GET" : "POST";
    const sent = standIn(stream, client, { url: "/echo", headers }, { method, cookie: "c", events });
    const watched = new Proxy(sent.req, {
      get(target, prop) {
        if (typeof prop === "string" && !STREAM_PROPERTIES.has(prop)) reads.add(prop);
        return Reflect.get(target, prop) as unknown;
      },
    }) as OutgoingBody;
    send(watched, res);
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  try {
    const port = (server.address() as AddressInfo).port;
    const { status, text } = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const method = body === undefined ? "GET" : "POST";
      const req = http.request({ host: "127.0.0.1", port, method, path: "/echo", headers }, (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => (text += c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
      });
      req.on("error", reject);
      req.end(body);
    });
    return { reads, proxyReqs, status, body: text };
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}

describe("http-proxy and our stand-in request", () => {
  it("reads exactly STAND_IN_FIELDS from the request, nothing the stand-in lacks", async () => {
    const run = await forwardOnce({ host: "127.0.0.1", "content-length": "5" }, "hello");
    assert.equal(run.status, 200);
    assert.equal(run.body, "hello", "the body stream was piped upstream and back");
    const extra = [...run.reads].filter((p) => !(STAND_IN_FIELDS as readonly string[]).includes(p));
    assert.deepEqual(extra, [], `http-proxy read fields the stand-in does not provide: ${extra.join(", ")}`);
    assert.deepEqual([...run.reads].sort(), [...STAND_IN_FIELDS].sort(), "every listed field is still read");
  });

  it("sends a bodiless request through the EmptyBody stand-in, ended at once and answered", async () => {
    const run = await forwardOnce({ host: "127.0.0.1" }, undefined);
    assert.equal(run.status, 200);
    assert.equal(run.body, "", "nothing was sent as a body");
    assert.equal(run.proxyReqs, 1);
  });

  it("emits proxyReq once for an ordinary request", async () => {
    const run = await forwardOnce({ host: "127.0.0.1", "content-length": "2" }, "hi");
    assert.equal(run.proxyReqs, 1);
  });

  it("skips proxyReq when the request carries Expect (so the cookie is set on the headers, not there)", async () => {
    const run = await forwardOnce({ host: "127.0.0.1", "content-length": "2", expect: "100-continue" }, "hi");
    assert.equal(run.status, 200);
    assert.equal(run.proxyReqs, 0);
  });
});

describe("proxyTarget: the API origin as http-proxy reads a target", () => {
  it("keeps the port in host, drops IPv6 brackets from hostname, and has path /", () => {
    assert.deepEqual(proxyTarget("http://[::1]:8443"), {
      protocol: "http:",
      host: "[::1]:8443",
      hostname: "::1",
      port: "8443",
      path: "/",
    });
    assert.deepEqual(proxyTarget("https://compute.uscom-central-1.oraclecloud.com"), {
      protocol: "https:",
      host: "compute.uscom-central-1.oraclecloud.com",
      hostname: "compute.uscom-central-1.oraclecloud.com",
      port: "",
      path: "/",
    });
  });
});

describe("@hono/node-server and RESPONSE_ALREADY_SENT", () => {
  it("leaves a response written straight onto the Node response alone", async () => {
    const app = new Hono<{ Bindings: HttpBindings }>();
    app.all("*", async (c) => {
      const res = c.env.outgoing;
      res.writeHead(207, { "content-type": "text/plain", "x-written-by": "node" });
      res.end("written on the socket");
      await once(res, "close");
      return RESPONSE_ALREADY_SENT;
    });
    const server = http.createServer(getRequestListener(app.fetch, { overrideGlobalObjects: false }));
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    try {
      const port = (server.address() as AddressInfo).port;
      const res = await fetch(`http://127.0.0.1:${port}/anything`);
      assert.equal(res.status, 207);
      assert.equal(res.headers.get("x-written-by"), "node");
      assert.equal(await res.text(), "written on the socket");
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
