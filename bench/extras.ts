// Owns the measurements beside the load runs: memory with many idle keep-alive clients, memory while
// large bodies stream each way, start-up time, and the login storm after a server-side revocation.

import http from "node:http";
import { Readable } from "node:stream";
import { freePort, portOpen, rssBytes, start } from "./children.js";
import { serveArgs, type Entry } from "./proxy.js";
import { PATHS, type UpstreamProcess } from "./upstream.js";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";

/** Reads the proxying process's resident memory (bytes); undefined when it cannot be read. */
export type RssProbe = () => Promise<number | undefined>;

const V3 = "application/oracle-compute-v3+json";

/**
 * Opens `count` keep-alive connections to `origin`, sends one small GET on each, keeps them idle,
 * and reads the proxying process's RSS. Resolves the RSS and how many connections got a 200.
 */
export async function idleClientsRss(
  origin: string,
  count: number,
  rss: RssProbe,
  cookie?: string,
): Promise<{ rssBytes?: number; ok: number }> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: count, maxFreeSockets: count, timeout: 60_000 });
  const url = new URL(PATHS.small, origin);
  const one = () =>
    new Promise<boolean>((resolve) => {
      const req = http.get(url, { agent, headers: { accept: V3, ...(cookie ? { cookie } : {}) } }, (res) => {
        res.resume();
        res.once("end", () => resolve(res.statusCode === 200));
      });
      req.setTimeout(20_000, () => req.destroy());
      req.once("error", () => resolve(false));
    });
  try {
    // In waves of 100 so the listen backlog never overflows; every socket stays open afterwards.
    let ok = 0;
    for (let i = 0; i < count; i += 100) {
      const wave = await Promise.all(Array.from({ length: Math.min(100, count - i) }, one));
      ok += wave.filter(Boolean).length;
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
    return { rssBytes: await rss(), ok };
  } finally {
    agent.destroy();
  }
}

export interface StreamResult {
  bytes: number;
  downloadMiBps: number;
  uploadMiBps: number;
  peakRssBytes?: number;
  ok: boolean;
}

/** Streams `bytes` down and `bytes` up at the same time through `origin`, sampling RSS every 200 ms. */
export async function streamBothWays(
  origin: string,
  bytes: number,
  rss: RssProbe,
  cookie?: string,
): Promise<StreamResult> {
  let peak: number | undefined;
  const timer = setInterval(() => {
    void rss().then((r) => {
      if (r !== undefined) peak = Math.max(peak ?? 0, r);
    });
  }, 200);
  const headers = cookie ? { cookie } : {};
  const timed = async (work: () => Promise<boolean>) => {
    const t0 = performance.now();
    const ok = await work();
    return { ok, mibps: bytes / 1024 / 1024 / ((performance.now() - t0) / 1000) };
  };
  try {
    const [down, up] = await Promise.all([
      timed(
        () =>
          new Promise<boolean>((resolve) => {
            const req = http.get(new URL(PATHS.stream + bytes, origin), { headers }, (res) => {
              let n = 0;
              res.on("data", (c: Buffer) => (n += c.length));
              res.once("end", () => resolve(res.statusCode === 200 && n === bytes));
              res.once("error", () => resolve(false));
            });
            req.once("error", () => resolve(false));
          }),
      ),
      timed(
        () =>
          new Promise<boolean>((resolve) => {
            const req = http.request(
              new URL(PATHS.upload, origin),
              {
                method: "POST",
                headers: { ...headers, "content-type": "application/octet-stream", "content-length": String(bytes) },
              },
              (res) => {
                let text = "";
                res.on("data", (c: Buffer) => (text += c.toString()));
                res.once("end", () => resolve(res.statusCode === 200 && text.includes(`"bytes":${bytes}`)));
              },
            );
            req.once("error", () => resolve(false));
            Readable.from(chunks(bytes)).pipe(req);
          }),
      ),
    ]);
    const last = await rss();
    if (last !== undefined) peak = Math.max(peak ?? 0, last);
    return { bytes, downloadMiBps: down.mibps, uploadMiBps: up.mibps, peakRssBytes: peak, ok: down.ok && up.ok };
  } finally {
    clearInterval(timer);
  }
}

function* chunks(total: number): Generator<Buffer> {
  const chunk = Buffer.alloc(64 * 1024, "u");
  for (let left = total; left > 0; left -= chunk.length) yield left >= chunk.length ? chunk : chunk.subarray(0, left);
}

/** Milliseconds from spawn to accepting TCP connections, and to /-/readyz 200 (logged in). */
export async function proxyStartup(
  entry: Entry,
  api: string,
  dir: string,
): Promise<{ listeningMs?: number; readyMs?: number }> {
  const passwordFile = join(dir, "startup-password");
  await writeFile(passwordFile, "bench-password\n", { mode: 0o600 });
  const port = await freePort();
  const t0 = performance.now();
  const child = start("opc-auth-proxy (start-up)", process.execPath, serveArgs(entry, api, passwordFile, port));
  let listeningMs: number | undefined;
  let readyMs: number | undefined;
  try {
    const deadline = t0 + 30_000;
    while (performance.now() < deadline && child.proc.exitCode === null) {
      if (listeningMs === undefined && (await portOpen(port))) listeningMs = performance.now() - t0;
      if (listeningMs !== undefined) {
        const r = await fetch(`http://127.0.0.1:${port}/-/readyz`).catch(() => undefined);
        await r?.arrayBuffer();
        if (r?.status === 200) {
          readyMs = performance.now() - t0;
          break;
        }
      }
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  } finally {
    await child.stop(3_000);
  }
  return { listeningMs, readyMs };
}

export interface StormResult {
  requests: number;
  ok: number;
  logins: number;
  slowestMs: number;
}

/** Revokes every session upstream, then sends `n` concurrent GETs through the proxy at once. */
export async function loginStorm(origin: string, upstream: UpstreamProcess, n: number): Promise<StormResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: n });
  await upstream.revoke();
  const before = await upstream.stats();
  const one = () =>
    new Promise<{ ok: boolean; ms: number }>((resolve) => {
      const t0 = performance.now();
      const req = http.get(new URL(PATHS.small, origin), { agent, headers: { accept: V3 } }, (res) => {
        res.resume();
        res.once("end", () => resolve({ ok: res.statusCode === 200, ms: performance.now() - t0 }));
      });
      req.setTimeout(30_000, () => req.destroy());
      req.once("error", () => resolve({ ok: false, ms: performance.now() - t0 }));
    });
  try {
    const results = await Promise.all(Array.from({ length: n }, one));
    const after = await upstream.stats();
    return {
      requests: n,
      ok: results.filter((r) => r.ok).length,
      logins: after.logins - before.logins,
      slowestMs: Math.max(...results.map((r) => r.ms)),
    };
  } finally {
    agent.destroy();
  }
}

/** RSS of one process, for the probes above. */
export const rssOf =
  (pid: number): RssProbe =>
  () =>
    rssBytes(pid);
