// Micro-benchmark of the URI rewrite stage alone: a 64 KiB JSON listing of objects with absolute
// URIs, through the stream in 16 KiB chunks (what a socket hands over), against a plain PassThrough
// of the same chunks, side by side in one run. Run: node --import tsx bench/uri-rewrite.bench.ts

import { PassThrough, type Transform } from "node:stream";
import { rewritePairs, rewriteBuffer, RewriteStream } from "../src/proxy/uri-rewrite.js";

const API = "https://compute.uscom-central-1.oraclecloud.com";
const KiB = 1024;

/** A listing as `GET /instance/Compute-acme/` returns it: about 64 KiB, one uri per object. */
function listing(): Buffer {
  const objects: string[] = [];
  let size = 0;
  for (let i = 0; size < 64 * KiB - 400; i++) {
    const o = JSON.stringify({
      name: `/Compute-acme/jack.jones@example.com/vm-${i}`,
      shape: "oc3",
      state: "running",
      imagelist: "/oracle/public/OL_7.2_UEKR4_x86_64",
      uri: `${i % 2 ? API : `${API}:443`}/instance/Compute-acme/jack.jones@example.com/vm-${i}`,
    });
    objects.push(o);
    size += o.length + 1;
  }
  return Buffer.from(JSON.stringify({ result: objects.map((o) => JSON.parse(o) as unknown) }));
}

function run(make: () => Transform, body: Buffer, rounds: number): Promise<{ ms: number; out: number }> {
  const chunks: Buffer[] = [];
  for (let at = 0; at < body.length; at += 16 * KiB) chunks.push(body.subarray(at, at + 16 * KiB));
  return new Promise((resolve) => {
    let out = 0;
    let left = rounds;
    const started = performance.now();
    const one = () => {
      if (left-- === 0) return resolve({ ms: performance.now() - started, out });
      const s = make();
      s.on("data", (c: Buffer) => (out += c.length));
      s.on("end", one);
      for (const c of chunks) s.write(c);
      s.end();
    };
    one();
  });
}

const body = listing();
const toProxy = rewritePairs([
  [API, "http://localhost:8080"],
  [`${API}:443`, "http://localhost:8080"],
]);
const uris = body.toString().split('"uri":').length - 1;
const rounds = 3000;

// Warm up both paths so the JIT has compiled them before timing.
await run(() => new PassThrough(), body, 300);
await run(() => new RewriteStream(toProxy), body, 300);
const plain = await run(() => new PassThrough(), body, rounds);
const rewrite = await run(() => new RewriteStream(toProxy), body, rounds);
const started = performance.now();
for (let i = 0; i < rounds; i++) rewriteBuffer(body, toProxy);
const whole = performance.now() - started;

const per = (ms: number) => ((ms / rounds) * 1000).toFixed(1);
const rate = (ms: number) => ((body.length * rounds) / (ms / 1000) / 1024 ** 2).toFixed(0);
console.log(`listing: ${(body.length / KiB).toFixed(1)} KiB, ${uris} uris, 16 KiB chunks, ${rounds} rounds`);
console.log(`passthrough:     ${per(plain.ms)} µs per listing  (${rate(plain.ms)} MiB/s)`);
console.log(`rewrite stream:  ${per(rewrite.ms)} µs per listing  (${rate(rewrite.ms)} MiB/s)`);
console.log(`rewrite buffer:  ${per(whole)} µs per listing  (${rate(whole)} MiB/s, the scanner alone)`);
console.log(`stage cost over passthrough: ${per(rewrite.ms - plain.ms)} µs per 64 KiB listing`);
console.log(`bytes out per listing: ${rewrite.out / rounds} (in: ${body.length})`);
