// End to end, proxy in its own process: a 1 GiB body streams through in both directions while the
// proxy's resident memory stays flat, so memory does not grow with body size; so does 1 GiB of
// JSON whose every uri is rewritten on the way.

import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import http from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { startEchoUpstream, type EchoUpstream } from "../support/echo-upstream.js";
import { spawnCli, type Child } from "../support/spawn-proxy.js";

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;
/** Growth allowed while 1 GiB flows: buffers and GC slack, a small fraction of the body. */
const MAX_GROWTH = 96 * MiB;

describe("streaming", () => {
  let api: EchoUpstream;
  let child: Child;
  let base: string;
  let dir: string;

  before(async () => {
    api = await startEchoUpstream();
    dir = await mkdtemp(join(tmpdir(), "opc-stream-"));
    await writeFile(join(dir, "pw"), "pw\n", { mode: 0o600 });
    child = spawnCli(["serve", "--listen", "127.0.0.1:0"], {
      OPC_API: api.url,
      OPC_USER: "/Compute-acme/jack",
      OPC_PASSWORD_FILE: join(dir, "pw"),
      OPC_PROXY_LOG_LEVEL: "info",
    });
    const line = await child.waitFor(/"url":"http:\/\/127\.0\.0\.1:\d+"/);
    base = JSON.parse(`{${line}}`).url as string;
    for (let i = 0; i < 100; i++) {
      const r = await get(`${base}/-/readyz`);
      if (r.status === 200) break;
      await new Promise((r) => setTimeout(r, 50));
    }
  });
  after(async () => {
    child.proc.kill("SIGTERM");
    assert.equal(await child.exit(), 0, "a clean drain exits 0");
    await api.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("1 GiB up and 1 GiB down without the proxy's memory growing", async (t) => {
    // Warm up the paths once so the baseline includes code and pools, not just start-up.
    await upload(`${base}/upload`, 8 * MiB);
    await download(`${base}/download?bytes=${8 * MiB}`);
    const baseline = await rss(base);
    let peak = baseline;
    const sampler = setInterval(() => {
      rss(base).then(
        (v) => (peak = Math.max(peak, v)),
        () => undefined,
      );
    }, 100);
    try {
      const up = await upload(`${base}/upload`, GiB);
      assert.equal(up, GiB, "every uploaded byte reached the API");
      const down = await download(`${base}/download?bytes=${GiB}`);
      assert.equal(down, GiB, "every byte came back");
    } finally {
      clearInterval(sampler);
    }
    peak = Math.max(peak, await rss(base));
    t.diagnostic(
      `proxy RSS: baseline ${(baseline / MiB).toFixed(1)} MiB, peak ${(peak / MiB).toFixed(1)} MiB while 2 GiB passed`,
    );
    assert.ok(peak - baseline < MAX_GROWTH, `RSS grew ${((peak - baseline) / MiB).toFixed(1)} MiB while 2 GiB passed`);
  });

  it("1 GiB of JSON has its URIs rewritten as it streams, without the proxy's memory growing", async (t) => {
    await countUris(`${base}/download-json?bytes=${8 * MiB}`, base);
    const baseline = await rss(base);
    let peak = baseline;
    const sampler = setInterval(() => {
      rss(base).then(
        (v) => (peak = Math.max(peak, v)),
        () => undefined,
      );
    }, 100);
    let seen: { bytes: number; proxy: number; api: number };
    try {
      seen = await countUris(`${base}/download-json?bytes=${GiB}`, base);
    } finally {
      clearInterval(sampler);
    }
    peak = Math.max(peak, await rss(base));
    const uris = GiB / 1024; // one per 1 KiB line
    assert.equal(seen.api, 0, "no uri names the API any more");
    assert.equal(seen.proxy, uris, "every uri names the proxy");
    assert.equal(seen.bytes, GiB + uris * (base.length - api.url.length));
    t.diagnostic(`proxy RSS: baseline ${(baseline / MiB).toFixed(1)} MiB, peak ${(peak / MiB).toFixed(1)} MiB`);
    assert.ok(peak - baseline < MAX_GROWTH, `RSS grew ${((peak - baseline) / MiB).toFixed(1)} MiB while 1 GiB passed`);
  });
});

function get(url: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent: false }, (res) => {
        let text = "";
        res.on("data", (c: Buffer) => (text += c.toString()));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
      })
      .on("error", reject);
  });
}

async function rss(base: string): Promise<number> {
  const m = /^process_resident_memory_bytes (\d+)/m.exec((await get(`${base}/-/metrics`)).text);
  assert.ok(m, "the proxy reports its resident memory");
  return Number(m[1]);
}

function upload(url: string, bytes: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      { method: "PUT", agent: false, headers: { "content-length": String(bytes) } },
      (res) => {
        let text = "";
        res.on("data", (c: Buffer) => (text += c.toString()));
        res.on("end", () => resolve((JSON.parse(text) as { bytes: number }).bytes));
      },
    );
    req.on("error", reject);
    const chunk = Buffer.alloc(256 * 1024, 0x62);
    let left = bytes;
    const pump = () => {
      while (left > 0) {
        const n = Math.min(left, chunk.length);
        left -= n;
        const more = req.write(n === chunk.length ? chunk : chunk.subarray(0, n));
        if (left === 0) return void req.end();
        if (!more) return void req.once("drain", pump);
      }
    };
    pump();
  });
}

function download(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent: false }, (res) => {
        let n = 0;
        res.on("data", (c: Buffer) => (n += c.length));
        res.on("end", () => resolve(n));
        res.on("error", reject);
      })
      .on("error", reject);
  });
}

/** Downloads `url`, counting its bytes and its `"uri":"` fields by the origin they name: `proxy` or another. */
function countUris(url: string, proxy: string): Promise<{ bytes: number; proxy: number; api: number }> {
  const marker = Buffer.from(`"uri":"`);
  const toProxy = Buffer.from(`"uri":"${proxy}/`);
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent: false }, (res) => {
        const seen = { bytes: 0, proxy: 0, api: 0 };
        let rest = Buffer.alloc(0);
        res.on("data", (c: Buffer) => {
          seen.bytes += c.length;
          const buf = rest.length > 0 ? Buffer.concat([rest, c]) : c;
          let keepFrom = Math.max(0, buf.length - (marker.length - 1));
          for (let i = buf.indexOf(marker); i !== -1; i = buf.indexOf(marker, i + marker.length)) {
            if (i + toProxy.length > buf.length) {
              keepFrom = i;
              break;
            }
            if (buf.subarray(i, i + toProxy.length).equals(toProxy)) seen.proxy++;
            else seen.api++;
          }
          rest = Buffer.from(buf.subarray(keepFrom));
        });
        res.on("end", () => resolve(seen));
        res.on("error", reject);
      })
      .on("error", reject);
  });
}
