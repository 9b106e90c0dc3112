// End to end: a client that only knows the proxy follows the `uri` fields it gets and sends them
// back, against the simulator (API and proxy on different origins); and, against a recording API,
// what the API receives (bodies, queries, Accept-Encoding, a 401 replay) and what it may send
// (gzip, Location).

import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { gzipSync } from "node:zlib";
import { after, before, describe, it } from "node:test";
import { assemble, type RunningProxy } from "../../src/assemble.js";
import { createLogger } from "../../src/log.js";
import { staticCredentials } from "../../src/session/credentials.js";
import { logSink, testSettings } from "../support/settings.js";
import { USER, V3, send, startStack, type Stack } from "../support/stack.js";

const KEY = `${USER}/uri-test`;

describe("uri rewriting against the simulator", () => {
  let stack: Stack;
  let host: string;
  before(async () => {
    stack = await startStack();
    // The client names the proxy differently from how the proxy names itself: only Host counts.
    host = `localhost:${new URL(stack.url).port}`;
  });
  after(() => stack.close());

  it("the proxy and the API are on different origins (else this test proves nothing)", () => {
    assert.notEqual(new URL(stack.sim.url).origin, `http://${host}`);
  });

  it("a client follows every uri it got through the proxy, and sends one back", async () => {
    const created = await send(stack.url, "POST", "/sshkey/", {
      headers: { host, "content-type": V3, accept: V3 },
      body: JSON.stringify({ name: KEY, key: "ssh-rsa AAAAB3NzaC1yc2E test", enabled: true }),
    });
    assert.equal(created.status, 201, created.text);
    const uri = created.json().uri as string;
    assert.equal(uri, `http://${host}/sshkey${KEY}`, "the new object's uri names the proxy");

    const listing = await send(stack.url, "GET", "/sshkey/Compute-acme/", { headers: { host, accept: V3 } });
    assert.equal(listing.status, 200);
    assert.ok(!listing.text.includes(stack.sim.url), "no API origin is left in the listing");
    const uris = (listing.json().result as Array<{ uri: string }>).map((o) => o.uri);
    assert.ok(uris.includes(uri) && uris.every((u) => u.startsWith(`http://${host}/`)), listing.text);

    // curl $(jq -r .uri): the path of the uri, sent to the origin the uri names (the proxy).
    const followed = await send(`http://${host}`.replace("localhost", "127.0.0.1"), "GET", new URL(uri).pathname, {
      headers: { host, accept: V3 },
    });
    assert.equal(followed.status, 200, followed.text);
    assert.equal(followed.json().uri, uri);

    // PUT the object back as received, uri included: the API sees its own origin.
    const updated = await send(stack.url, "PUT", new URL(uri).pathname, {
      headers: { host, "content-type": V3, accept: V3 },
      body: JSON.stringify({ ...followed.json(), enabled: false }),
    });
    assert.equal(updated.status, 200, updated.text);
    assert.equal(updated.json().enabled, false);
    assert.equal(updated.json().uri, uri);
  });
});

describe("--no-rewrite-uris", () => {
  let stack: Stack;
  before(async () => (stack = await startStack({ proxy: { rewriteUris: false } })));
  after(() => stack.close());

  it("leaves the API's uri as the API wrote it", async () => {
    const host = `localhost:${new URL(stack.url).port}`;
    const r = await send(stack.url, "GET", "/shape/", { headers: { host, accept: V3 } });
    assert.equal(r.status, 200);
    const uris = (r.json().result as Array<{ uri: string }>).map((o) => o.uri);
    assert.ok(uris.length > 0 && uris.every((u) => u.startsWith(`${stack.sim.url}/`)), uris.join());
  });
});

/** A fake API that records what it receives and answers what the test sets. */
interface Recorder {
  url: string;
  got: Array<{ url: string; headers: http.IncomingHttpHeaders; body: string }>;
  answer: (req: http.IncomingMessage, res: http.ServerResponse) => void;
  unauthorizedOnce: boolean;
  close(): Promise<void>;
}

async function startRecorder(): Promise<Recorder> {
  let logins = 0;
  const state: Recorder = {
    url: "",
    got: [],
    unauthorizedOnce: false,
    answer: (_req, res) => res.writeHead(204).end(),
    close: async () => undefined,
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      if (req.url === "/authenticate/") {
        logins++;
        res.writeHead(204, { "set-cookie": `nimbula=rec-${logins}; Path=/; Max-Age=1800` }).end();
        return;
      }
      state.got.push({ url: req.url ?? "", headers: req.headers, body: Buffer.concat(chunks).toString() });
      if (state.unauthorizedOnce) {
        state.unauthorizedOnce = false;
        res.writeHead(401, { "content-type": "application/json" }).end('{"message":"Authorization token is invalid"}');
        return;
      }
      state.answer(req, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return state;
}

describe("uri rewriting: what the API receives and sends", () => {
  let api: Recorder;
  let proxy: RunningProxy;
  let host: string;
  before(async () => {
    api = await startRecorder();
    proxy = await assemble(testSettings(api.url), {
      credentials: staticCredentials("/Compute-acme/jack", "pw", "test"),
      log: createLogger("silent", logSink().stream),
    });
    await proxy.session.start();
    host = `localhost:${new URL(proxy.url).port}`;
  });
  after(async () => {
    await proxy.shutdown(100);
    await api.close();
  });
  const last = () => api.got[api.got.length - 1]!;

  it("a JSON body and a query carrying the proxy's origin reach the API with the API's, chunked", async () => {
    const body = JSON.stringify({ uri: `http://${host}/sshkey/Compute-acme/k`, note: "http://localhost:1/x" });
    const r = await send(proxy.url, "POST", `/x/?next=${encodeURIComponent(`http://${host}/y`)}&raw=http://${host}/z`, {
      headers: { host, "content-type": V3, "accept-encoding": "gzip" },
      body,
    });
    assert.equal(r.status, 204);
    assert.equal(
      last().body,
      JSON.stringify({ uri: `${api.url}/sshkey/Compute-acme/k`, note: "http://localhost:1/x" }),
    );
    assert.equal(last().url, `/x/?next=${encodeURIComponent(`${api.url}/y`)}&raw=${api.url}/z`);
    assert.equal(last().headers["transfer-encoding"], "chunked");
    assert.equal(last().headers["content-length"], undefined);
    assert.equal(last().headers["accept-encoding"], "identity", "an answer the proxy can read");
  });

  it("a non-JSON body is sent byte for byte with its Content-Length", async () => {
    const body = `http://${host}/raw`;
    await send(proxy.url, "PUT", "/blob", { headers: { host, "content-type": "application/octet-stream" }, body });
    assert.equal(last().body, body);
    assert.equal(last().headers["content-length"], String(body.length));
  });

  it("after a 401 the replayed body is rewritten exactly once", async () => {
    api.unauthorizedOnce = true;
    const before = api.got.length;
    const r = await send(proxy.url, "POST", "/y/", {
      headers: { host, "content-type": "application/json" },
      body: JSON.stringify({ uri: `http://${host}/a` }),
    });
    assert.equal(r.status, 204);
    const sent = api.got.slice(before).map((g) => g.body);
    assert.deepEqual(sent, [JSON.stringify({ uri: `${api.url}/a` }), JSON.stringify({ uri: `${api.url}/a` })]);
  });

  it("a gzip answer the API sends anyway reaches the client untouched; Location is rewritten", async () => {
    const json = JSON.stringify({ uri: `${api.url}/instance/x` });
    const gz = gzipSync(json);
    api.answer = (_req, res) =>
      res
        .writeHead(201, {
          "content-type": V3,
          "content-encoding": "gzip",
          "content-length": gz.length,
          location: `${api.url}/instance/x`,
        })
        .end(gz);
    try {
      const r = await send(proxy.url, "GET", "/instance/x", { headers: { host } });
      assert.equal(r.status, 201);
      assert.deepEqual(r.body, gz);
      assert.equal(r.headers["content-length"], String(gz.length));
      assert.equal(r.headers.location, `http://${host}/instance/x`);
    } finally {
      api.answer = (_req, res) => res.writeHead(204).end();
    }
  });

  it("a small JSON answer gets its new Content-Length, a large one goes chunked; text is untouched", async () => {
    const json = JSON.stringify({ uri: `${api.url}/instance/x`, other: `${api.url}.evil.example/` });
    const want = JSON.stringify({ uri: `http://${host}/instance/x`, other: `${api.url}.evil.example/` });
    const large = 100 * 1024;
    for (const row of [
      { type: V3, pad: 0, length: String(want.length) },
      { type: V3, pad: large, length: undefined },
      { type: "text/plain", pad: 0, length: String(json.length) },
    ]) {
      const body = json.padEnd(row.pad, " ");
      api.answer = (_req, res) =>
        res.writeHead(200, { "content-type": row.type, "content-length": body.length }).end(body);
      const r = await send(proxy.url, "GET", "/instance/x", { headers: { host } });
      assert.equal(r.text, row.type === V3 ? want.padEnd(row.pad - json.length + want.length, " ") : body);
      assert.equal(r.headers["content-length"], row.length, `${row.type} ${row.pad}`);
    }
    api.answer = (_req, res) => res.writeHead(204).end();
  });
});
