// Which URIs the proxy rewrites: the API origin's spellings, JSON types only, compressed bodies and
// other types untouched, Location headers, and the way back in request bodies and query strings.

import assert from "node:assert/strict";
import type { OutgoingHttpHeaders, ServerResponse } from "node:http";
import { PassThrough, Readable, Writable } from "node:stream";
import { gzipSync, gunzipSync } from "node:zlib";
import { emptyBody } from "../../src/proxy/body.js";
import { describe, it } from "node:test";
import {
  SMALL_BODY_BYTES,
  UriRewriting,
  isJsonType,
  originSpellings,
  type ExchangeUris,
} from "../../src/proxy/uri-rewriting.js";

const CLIENT = { host: "localhost:8080" };

/** What a client receives when `uris` relays `body` with `headers` (mutated in place, as deliver() hands them). */
async function relayed(uris: ExchangeUris, headers: OutgoingHttpHeaders, body: Buffer | string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  const res = new Writable({ write: (c: Buffer, _e, cb) => (chunks.push(c), cb()) });
  let sent: OutgoingHttpHeaders | undefined;
  Object.assign(res, { writeHead: (_status: number, h: OutgoingHttpHeaders) => ((sent = h), res) });
  const done = new Promise((resolve) => res.once("finish", resolve));
  uris.relay(Readable.from([Buffer.from(body)], { objectMode: false }), res as unknown as ServerResponse, 200, headers);
  await done;
  assert.equal(sent, headers, "the head is written once, with the headers as rewritten");
  return Buffer.concat(chunks);
}

async function read(r: Readable): Promise<Buffer> {
  const out: Buffer[] = [];
  for await (const c of r) out.push(c as Buffer);
  return Buffer.concat(out);
}

describe("uri-rewriting: the API origin's spellings", () => {
  const rows = [
    { name: "https, port implied", api: "https://h", want: ["https://h", "https://h:443"] },
    { name: "https, :443 written", api: "https://h:443/", want: ["https://h", "https://h:443"] },
    { name: "https, another port", api: "https://h:8443", want: ["https://h:8443"] },
    { name: "http, port implied", api: "http://h", want: ["http://h", "http://h:80"] },
    { name: "http, a port", api: "http://127.0.0.1:9000", want: ["http://127.0.0.1:9000"] },
    { name: "IPv6", api: "https://[::1]", want: ["https://[::1]", "https://[::1]:443"] },
    {
      name: "upper case host",
      api: "https://API.Example.COM",
      want: ["https://api.example.com", "https://api.example.com:443"],
    },
  ];
  for (const row of rows) it(row.name, () => assert.deepEqual(originSpellings(new URL(row.api)), row.want));

  it("rewrites both spellings of an implied :443 to the client's origin", async () => {
    const uris = new UriRewriting(new URL("https://h"), false).forRequest(CLIENT)!;
    const body = '{"a":"https://h/x","b":"https://h:443/y","c":"https://h:8443/z"}';
    const headers: OutgoingHttpHeaders = { "content-type": "application/oracle-compute-v3+json" };
    const out = await relayed(uris, headers, body);
    assert.equal(
      out.toString(),
      '{"a":"http://localhost:8080/x","b":"http://localhost:8080/y","c":"https://h:8443/z"}',
    );
  });

  it("with an explicit non-default port, only that port is the API", async () => {
    const uris = new UriRewriting(new URL("https://h:8443"), false).forRequest(CLIENT)!;
    const headers: OutgoingHttpHeaders = { "content-type": "application/json" };
    const out = await relayed(uris, headers, '["https://h/x","https://h:8443/y"]');
    assert.equal(out.toString(), '["https://h/x","http://localhost:8080/y"]');
  });
});

describe("uri-rewriting: responses", () => {
  const uris = new UriRewriting(new URL("https://h"), false).forRequest(CLIENT)!;
  const body = '{"uri":"https://h/sshkey/Compute-acme/k"}';
  const rewritten = '{"uri":"http://localhost:8080/sshkey/Compute-acme/k"}';

  const types = [
    { type: "application/oracle-compute-v3+json", rewrite: true },
    { type: "application/oracle-compute-v3+directory+json", rewrite: true },
    { type: "application/json; charset=utf-8", rewrite: true },
    { type: "Application/JSON", rewrite: true },
    { type: "text/plain", rewrite: false },
    { type: "application/octet-stream", rewrite: false },
    { type: "text/html", rewrite: false },
    { type: "application/jsonx", rewrite: false },
  ];
  for (const row of types) {
    it(`${row.type}: ${row.rewrite ? "rewritten, with its new Content-Length" : "untouched, Content-Length kept"}`, async () => {
      const headers: OutgoingHttpHeaders = { "content-type": row.type, "content-length": String(body.length) };
      const out = await relayed(uris, headers, body);
      assert.equal(out.toString(), row.rewrite ? rewritten : body);
      assert.equal(String(headers["content-length"]), String(row.rewrite ? rewritten.length : body.length));
      assert.equal(isJsonType(row.type), row.rewrite);
    });
  }

  const framing = [
    { name: "at the small-body limit: read whole, new Content-Length", pad: SMALL_BODY_BYTES, length: true },
    { name: "one byte over: streamed, no Content-Length", pad: SMALL_BODY_BYTES + 1, length: false },
  ];
  for (const row of framing) {
    it(`a JSON body ${row.name}`, async () => {
      const big = body.padEnd(row.pad, " ");
      const headers: OutgoingHttpHeaders = { "content-type": "application/json", "content-length": String(big.length) };
      const out = await relayed(uris, headers, big);
      assert.equal(out.toString(), rewritten + " ".repeat(row.pad - body.length));
      assert.equal(headers["content-length"], row.length ? out.length : undefined);
    });
  }

  it("an announced JSON body that never comes (HEAD, 304) loses its now unknown Content-Length", async () => {
    const headers: OutgoingHttpHeaders = { "content-type": "application/json", "content-length": "50" };
    assert.equal((await relayed(uris, headers, "")).length, 0);
    assert.equal(headers["content-length"], undefined);
  });

  it("a JSON body without Content-Length streams through the rewriter", async () => {
    const headers: OutgoingHttpHeaders = { "content-type": "application/json" };
    assert.equal((await relayed(uris, headers, body)).toString(), rewritten);
    assert.equal(headers["content-length"], undefined);
  });

  it("a gzip body the API sends anyway passes byte for byte, with its Content-Length", async () => {
    const gz = gzipSync(body);
    const headers: OutgoingHttpHeaders = {
      "content-type": "application/oracle-compute-v3+json",
      "content-encoding": "gzip",
      "content-length": String(gz.length),
    };
    const out = await relayed(uris, headers, gz);
    assert.deepEqual(out, gz);
    assert.equal(gunzipSync(out).toString(), body);
    assert.equal(headers["content-length"], String(gz.length));
  });

  it("Content-Encoding: identity is no encoding", async () => {
    const headers: OutgoingHttpHeaders = { "content-type": "application/json", "content-encoding": "identity" };
    assert.equal((await relayed(uris, headers, body)).toString(), rewritten);
  });

  it("Location and Content-Location point at the proxy, also for a compressed or non-JSON answer", async () => {
    const headers: OutgoingHttpHeaders = {
      "content-type": "text/plain",
      "content-encoding": "gzip",
      location: "https://h:443/instance/Compute-acme/x",
      "content-location": "https://h/instance/",
      link: "<https://h/x>",
    };
    await relayed(uris, headers, "z");
    assert.equal(headers.location, "http://localhost:8080/instance/Compute-acme/x");
    assert.equal(headers["content-location"], "http://localhost:8080/instance/");
    assert.equal(headers.link, "<https://h/x>", "other headers are left alone");
  });

  it("a unix-socket client gets http://localhost whatever its Host says", async () => {
    const unix = new UriRewriting(new URL("https://h"), true).forRequest({ host: "whatever:1" })!;
    const headers: OutgoingHttpHeaders = { location: "https://h/x" };
    await relayed(unix, headers, "");
    assert.equal(headers.location, "http://localhost/x");
  });

  it("no usable Host: no rewriting", () => {
    const r = new UriRewriting(new URL("https://h"), false);
    assert.equal(r.forRequest({}), undefined);
    assert.equal(r.forRequest({ host: "a/b" }), undefined);
    assert.equal(r.forRequest({ host: "[zz]" }), undefined);
  });
});

describe("uri-rewriting: requests", () => {
  const uris = new UriRewriting(new URL("https://h"), false).forRequest(CLIENT)!;

  it("a JSON body carrying the client's origin goes back with the API's, chunked", async () => {
    const body = '{"uri":"http://localhost:8080/sshkey/Compute-acme/k","other":"http://localhost:80801/"}';
    const headers: OutgoingHttpHeaders = {
      "content-type": "application/oracle-compute-v3+json",
      "content-length": "90",
    };
    const sent = uris.request(headers, Readable.from([Buffer.from(body)]));
    assert.ok(sent instanceof Readable);
    const out = await read(sent);
    assert.equal(out.toString(), '{"uri":"https://h/sshkey/Compute-acme/k","other":"http://localhost:80801/"}');
    assert.equal(headers["content-length"], undefined);
    assert.equal(headers["transfer-encoding"], "chunked");
    assert.equal(headers["accept-encoding"], "identity");
  });

  it("a non-JSON or encoded body is sent as it came, with its framing", async () => {
    for (const extra of [
      { "content-type": "application/octet-stream" },
      { "content-type": "application/json", "content-encoding": "gzip" },
    ]) {
      const headers: OutgoingHttpHeaders = { ...extra, "content-length": "25" };
      const body = new PassThrough();
      assert.equal(uris.request(headers, body), body, JSON.stringify(extra));
      assert.equal(headers["content-length"], "25");
      assert.equal(headers["accept-encoding"], "identity", "the answer is asked for unencoded anyway");
    }
  });

  it("asks the API for identity even when the client accepts gzip", () => {
    const headers: OutgoingHttpHeaders = { "accept-encoding": "gzip, br" };
    const body = emptyBody();
    assert.equal(uris.request(headers, body), body);
    assert.equal(headers["accept-encoding"], "identity");
  });

  const targets = [
    { name: "no query", url: "/instance/http://localhost:8080/", want: "/instance/http://localhost:8080/" },
    { name: "raw origin in the query", url: "/x/?next=http://localhost:8080/y", want: "/x/?next=https://h/y" },
    {
      name: "percent-encoded origin in the query",
      url: "/x/?next=http%3A%2F%2Flocalhost%3A8080%2Fy",
      want: "/x/?next=https%3A%2F%2Fh%2Fy",
    },
    { name: "another port is not the proxy", url: "/x?u=http://localhost:8081/", want: "/x?u=http://localhost:8081/" },
    { name: "path bytes are never touched", url: "/a%40b//c?u=http://localhost:8080", want: "/a%40b//c?u=https://h" },
  ];
  for (const row of targets) it(`target: ${row.name}`, () => assert.equal(uris.target(row.url), row.want));

  it("a client that reached the proxy without a port may send either spelling back", () => {
    const bare = new UriRewriting(new URL("https://h"), false).forRequest({ host: "opc-proxy" })!;
    assert.equal(bare.target("/?a=http://opc-proxy/x&b=http://opc-proxy:80/y"), "/?a=https://h/x&b=https://h/y");
  });
});
