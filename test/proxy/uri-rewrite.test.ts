// The byte-level rewriter: where an origin ends (the boundary rule), and that a stream cut into
// chunks at any position gives exactly what rewriting the whole buffer gives.

import assert from "node:assert/strict";
import { Readable } from "node:stream";
import { describe, it } from "node:test";
import fc from "fast-check";
import { RewriteStream, rewriteBuffer, rewritePairs, rewriteText } from "../../src/proxy/uri-rewrite.js";

const API = rewritePairs([
  ["https://h", "http://localhost:8080"],
  ["https://h:443", "http://localhost:8080"],
]);

async function streamed(chunks: Buffer[], pairs = API): Promise<string> {
  const out: Buffer[] = [];
  for await (const c of Readable.from(chunks, { objectMode: false }).pipe(new RewriteStream(pairs)))
    out.push(c as Buffer);
  return Buffer.concat(out).toString("latin1");
}

/** An independent oracle: the boundary rule written as a regular expression over latin1 text. */
function oracle(text: string, pairs: ReadonlyArray<readonly [string, string]>): string {
  const sorted = [...pairs].sort((a, b) => b[0].length - a[0].length);
  const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
  const re = new RegExp(
    `(${sorted.map(([f]) => esc(f)).join("|")})(?=$|[^A-Za-z0-9\\-._~:@%\\x80-\\xff]|%(?:2[fF]|3[fF]|23))`,
    "g",
  );
  return text.replace(re, (m) => sorted.find(([f]) => f === m)![1]);
}

describe("uri-rewrite: the boundary rule", () => {
  const rows: Array<{ name: string; input: string; want: string }> = [
    {
      name: "a uri with a path",
      input: '"uri":"https://h/instance/x"',
      want: '"uri":"http://localhost:8080/instance/x"',
    },
    { name: "the explicit :443", input: '"https://h:443/a"', want: '"http://localhost:8080/a"' },
    { name: "the origin alone, then a quote", input: '"https://h"', want: '"http://localhost:8080"' },
    { name: "the origin at the very end", input: "see https://h", want: "see http://localhost:8080" },
    { name: "a query right after", input: "https://h?x=1", want: "http://localhost:8080?x=1" },
    { name: "a fragment right after", input: "https://h#top", want: "http://localhost:8080#top" },
    { name: "a longer host name", input: '"https://h.evil.com/x"', want: '"https://h.evil.com/x"' },
    { name: "a host that starts the same", input: '"https://hx/x"', want: '"https://hx/x"' },
    { name: "a dash continues the host", input: '"https://h-2/x"', want: '"https://h-2/x"' },
    { name: "another port", input: '"https://h:8443/x"', want: '"https://h:8443/x"' },
    { name: "a port that starts like 443", input: '"https://h:4430/x"', want: '"https://h:4430/x"' },
    { name: "userinfo: the host comes after @", input: '"https://h@evil.com/x"', want: '"https://h@evil.com/x"' },
    { name: "an encoded host byte", input: '"https://h%2eevil.com/"', want: '"https://h%2eevil.com/"' },
    { name: "an encoded slash ends it", input: "https://h%2Fx", want: "http://localhost:8080%2Fx" },
    { name: "non-ASCII continues the host", input: "https://h\u00e9/", want: "https://h\u00e9/" },
    { name: "another scheme", input: '"http://h/x"', want: '"http://h/x"' },
    {
      name: "two in a row",
      input: "https://h/a,https://h:443/b",
      want: "http://localhost:8080/a,http://localhost:8080/b",
    },
    { name: "nothing to do", input: '{"result": []}', want: '{"result": []}' },
    { name: "empty", input: "", want: "" },
  ];
  for (const row of rows) {
    it(row.name, async () => {
      assert.equal(rewriteText(row.input, API), row.want);
      assert.equal(await streamed([Buffer.from(row.input, "latin1")]), row.want, "as one chunk of a stream");
    });
  }

  it("returns the same buffer when nothing matched (no copy)", () => {
    const buf = Buffer.from('{"uri":"https://other/x"}');
    assert.equal(rewriteBuffer(buf, API), buf);
  });

  it("drops pairs that would change nothing", () => {
    assert.deepEqual(
      rewritePairs([
        ["", "x"],
        ["a", "a"],
      ]),
      [],
    );
  });
});

describe("uri-rewrite: streaming", () => {
  const listing = Buffer.from(
    '{"result":["https://h/sshkey/Compute-acme/a","https://h:443/sshkey/Compute-acme/b","https://h.evil.com/c","https://h"],' +
      '"next":"https://h:4430/x","q":"?u=https://h:443%2Fy","uri":"https://h/sshkey/Compute-acme/"}',
    "latin1",
  );
  const whole = rewriteBuffer(listing, API).toString("latin1");

  it("the reference listing is rewritten as the oracle says", () => {
    assert.equal(
      whole,
      oracle(listing.toString("latin1"), [
        ["https://h", "http://localhost:8080"],
        ["https://h:443", "http://localhost:8080"],
      ]),
    );
    assert.ok(!whole.includes('"https://h/') && whole.includes("https://h.evil.com/c"));
  });

  it("a match split across two chunks at every position is still rewritten", async () => {
    for (let cut = 0; cut <= listing.length; cut++) {
      const got = await streamed([listing.subarray(0, cut), listing.subarray(cut)]);
      assert.equal(got, whole, `split at byte ${cut}`);
    }
  });

  it("one byte per chunk gives the same result", async () => {
    const bytes = [...listing].map((b) => Buffer.from([b]));
    assert.equal(await streamed(bytes), whole);
  });

  it("any chunking of any text matches the oracle (property)", async () => {
    const alphabet = ["https://h", ":443", ":4430", "/", "x", ".", '"', "@", "%2F", "%2", "h", "s", ":", "\u00e9"];
    const pairs: Array<[string, string]> = [
      ["https://h", "http://localhost:8080"],
      ["https://h:443", "http://localhost:8080"],
    ];
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.constantFrom(...alphabet), { maxLength: 40 }),
        fc.array(fc.nat(), { maxLength: 8 }),
        async (parts, cuts) => {
          const buf = Buffer.from(parts.join(""), "latin1");
          const at = [...new Set(cuts.map((c) => c % (buf.length + 1)))].sort((a, b) => a - b);
          const chunks = [0, ...at].map((start, i) => buf.subarray(start, [...at, buf.length][i]));
          assert.equal(await streamed(chunks), oracle(buf.toString("latin1"), pairs));
        },
      ),
      { numRuns: 500 },
    );
  });

  it("holds back no more than the longest origin between chunks", async () => {
    const stream = new RewriteStream(API);
    const out: Buffer[] = [];
    stream.on("data", (c: Buffer) => out.push(c));
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    for (let i = 0; i < 16; i++) stream.write(chunk);
    await new Promise((r) => setImmediate(r));
    const passed = out.reduce((n, c) => n + c.length, 0);
    assert.ok(16 * chunk.length - passed < "https://h:443".length, `held ${16 * chunk.length - passed} bytes`);
    stream.end();
  });
});
