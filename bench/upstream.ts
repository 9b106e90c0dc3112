// Owns the benchmark's stand-in Compute API: a small fast node:http server (run as its own process)
// that logs in anyone, checks the nimbula cookie on every other request and counts what it saw.

import http from "node:http";
import https from "node:https";
import { readFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { start, waitUntil, type Started } from "./children.js";

/** Paths the benchmark loads. */
export const PATHS = {
  small: "/instance/Compute-acme/bench/",
  big: "/bench/64k",
  upload: "/bench/upload",
  /** Followed by a byte count: a streamed download of that many bytes. */
  stream: "/bench/stream/",
} as const;
export const BIG_BYTES = 64 * 1024;

export interface UpstreamStats {
  /** Requests other than login, refresh and these control paths. */
  requests: number;
  /** Requests that arrived without a nimbula cookie: each one is a benchmark error. */
  missingCookie: number;
  /** Requests whose nimbula cookie this server never issued. */
  badCookie: number;
  /** Uploads whose byte count did not match their Content-Length. */
  badBody: number;
  logins: number;
  refreshes: number;
}

const STATS_PATH = "/__bench/stats";
const RESET_PATH = "/__bench/reset";
const REVOKE_PATH = "/__bench/revoke";
const STREAM_CHUNK = Buffer.alloc(64 * 1024, "s");

/** Writes `bytes` in 64 KiB chunks, honouring back-pressure, so the upstream's memory stays flat. */
function streamOut(res: http.ServerResponse, bytes: number): void {
  res.writeHead(200, { "content-type": "application/octet-stream", "content-length": String(bytes) });
  let left = bytes;
  const pump = () => {
    while (left > 0) {
      const n = Math.min(left, STREAM_CHUNK.length);
      left -= n;
      if (!res.write(n === STREAM_CHUNK.length ? STREAM_CHUNK : STREAM_CHUNK.subarray(0, n))) {
        res.once("drain", pump);
        return;
      }
    }
    res.end();
  };
  pump();
}

function serve(tls?: { cert: Buffer; key: Buffer }): http.Server {
  const issued = new Set<string>();
  const stats: UpstreamStats = { requests: 0, missingCookie: 0, badCookie: 0, badBody: 0, logins: 0, refreshes: 0 };
  const small = Buffer.from(
    JSON.stringify({
      result: [{ name: "/Compute-acme/bench/vm-1/1f2e3d4c", shape: "oc3", state: "running", ip: "10.0.0.2" }],
    }),
  );
  const big = Buffer.alloc(BIG_BYTES, "x");
  const smallHeaders = { "content-type": "application/oracle-compute-v3+json", "content-length": String(small.length) };
  const bigHeaders = { "content-type": "application/oracle-compute-v3+json", "content-length": String(big.length) };

  const issue = (res: http.ServerResponse) => {
    const value = `bench-${stats.logins + stats.refreshes}-${randomBytes(12).toString("hex")}`;
    issued.add(value);
    res.writeHead(204, { "set-cookie": `nimbula=${value}; Path=/; Max-Age=1800` });
    res.end();
  };

  const handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const url = req.url ?? "/";
    if (url === "/authenticate/" && req.method === "POST") {
      req.resume();
      req.once("end", () => {
        stats.logins++;
        issue(res);
      });
      return;
    }
    if (url === STATS_PATH) {
      req.resume();
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify(stats));
      return;
    }
    if (url === REVOKE_PATH) {
      // A server-side revocation: every cookie issued so far stops working.
      req.resume();
      issued.clear();
      res.writeHead(204);
      res.end();
      return;
    }
    if (url === RESET_PATH) {
      req.resume();
      for (const k of Object.keys(stats) as (keyof UpstreamStats)[]) stats[k] = 0;
      res.writeHead(204);
      res.end();
      return;
    }

    const cookieHeader = req.headers.cookie;
    const at = cookieHeader === undefined ? -1 : cookieHeader.indexOf("nimbula=");
    if (at === -1) {
      if (url !== "/refresh/") stats.missingCookie++;
      return refuse(req, res, "no nimbula cookie");
    }
    const end = cookieHeader!.indexOf(";", at);
    const value = cookieHeader!.slice(at + 8, end === -1 ? undefined : end);
    if (!issued.has(value)) {
      if (url !== "/refresh/") stats.badCookie++;
      return refuse(req, res, "unknown nimbula cookie");
    }
    if (url === "/refresh/") {
      req.resume();
      stats.refreshes++;
      return issue(res);
    }

    stats.requests++;
    if (url === PATHS.upload) {
      let n = 0;
      req.on("data", (c: Buffer) => (n += c.length));
      req.once("end", () => {
        const declared = req.headers["content-length"];
        if (declared !== undefined && Number(declared) !== n) stats.badBody++;
        const body = `{"bytes":${n}}`;
        res.writeHead(200, { "content-type": "application/json", "content-length": String(body.length) });
        res.end(body);
      });
      return;
    }
    req.resume();
    if (url.startsWith(PATHS.stream)) return streamOut(res, Number(url.slice(PATHS.stream.length)) || 0);
    if (url === PATHS.big) {
      res.writeHead(200, bigHeaders);
      res.end(big);
      return;
    }
    res.writeHead(200, smallHeaders);
    res.end(small);
  };
  const server = tls ? https.createServer({ cert: tls.cert, key: tls.key }, handler) : http.createServer(handler);
  // Longer than the proxy's upstream idle timeout (4 s) and nginx's upstream keepalive (60 s).
  server.keepAliveTimeout = 75_000;
  server.headersTimeout = 80_000;
  return server;
}

function refuse(req: http.IncomingMessage, res: http.ServerResponse, why: string): void {
  req.resume();
  const body = JSON.stringify({ message: why });
  res.writeHead(401, { "content-type": "application/json", "content-length": String(body.length) });
  res.end(body);
}

/** Handle on the upstream process, used by the orchestrator. */
export interface UpstreamProcess {
  url: string;
  port: number;
  child: Started;
  stats(): Promise<UpstreamStats>;
  reset(): Promise<void>;
  /** Server-side revocation: every cookie issued so far answers 401 from now on. */
  revoke(): Promise<void>;
  /** Logs in like a client would and returns the cookie value (for nginx's static header). */
  login(): Promise<string>;
}

/** Starts the upstream as its own process; with `tls`, it serves HTTPS with that PEM cert and key. */
export async function startUpstreamProcess(tls?: { certFile: string; keyFile: string }): Promise<UpstreamProcess> {
  const self = fileURLToPath(import.meta.url);
  const tlsArgs = tls ? ["--tls", tls.certFile, tls.keyFile] : [];
  const child = start("upstream", process.execPath, ["--import", "tsx", self, "--serve", ...tlsArgs]);
  let port = 0;
  await waitUntil(
    "the benchmark upstream to listen",
    async () => {
      if (child.proc.exitCode !== null) throw new Error(`upstream exited:\n${child.output()}`);
      const m = /UPSTREAM_LISTENING (\d+)/.exec(child.output());
      if (m) port = Number(m[1]);
      return port !== 0;
    },
    20_000,
  );
  const url = `${tls ? "https" : "http"}://127.0.0.1:${port}`;
  // The bench's own control calls skip verification of its self-signed certificate (loopback only).
  const get = (path: string, init?: RequestInit) =>
    tls
      ? insecureFetch(url + path, init)
      : fetch(url + path, init).then(async (r) => ({ status: r.status, headers: r.headers, text: await r.text() }));
  return {
    url,
    port,
    child,
    async stats() {
      return JSON.parse((await get(STATS_PATH)).text) as UpstreamStats;
    },
    async reset() {
      await get(RESET_PATH, { method: "POST" });
    },
    async revoke() {
      await get(REVOKE_PATH, { method: "POST" });
    },
    async login() {
      const r = await get("/authenticate/", {
        method: "POST",
        headers: { "content-type": "application/oracle-compute-v3+json" },
        body: JSON.stringify({ user: "/Compute-acme/bench", password: "bench" }),
      });
      const line = r.headers.get("set-cookie") ?? "";
      const m = /nimbula=([^;]+)/.exec(line);
      if (r.status !== 204 || !m) throw new Error(`benchmark upstream login failed: HTTP ${r.status} ${line}`);
      return m[1]!;
    },
  };
}

if (process.argv.includes("--serve") && process.argv[1] === fileURLToPath(import.meta.url)) {
  const at = process.argv.indexOf("--tls");
  const tls =
    at === -1 ? undefined : { cert: readFileSync(process.argv[at + 1]!), key: readFileSync(process.argv[at + 2]!) };
  const server = serve(tls);
  server.listen(0, "127.0.0.1", () => {
    process.stdout.write(`UPSTREAM_LISTENING ${(server.address() as AddressInfo).port}\n`);
  });
  const stop = () => {
    server.close();
    server.closeAllConnections();
    setTimeout(() => process.exit(0), 100).unref();
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}

/** A small request over HTTPS that trusts any certificate: only for the bench's own loopback upstream. */
function insecureFetch(
  url: string,
  init: RequestInit = {},
): Promise<{ status: number; headers: { get(name: string): string | null }; text: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      url,
      { method: init.method ?? "GET", headers: init.headers as Record<string, string>, rejectUnauthorized: false },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => (text += c));
        res.once("end", () => {
          const h = res.headers;
          resolve({
            status: res.statusCode ?? 0,
            headers: {
              get: (n) => {
                const v = h[n.toLowerCase()];
                return v === undefined ? null : Array.isArray(v) ? v.join(", ") : v;
              },
            },
            text,
          });
        });
      },
    );
    req.once("error", reject);
    req.end(typeof init.body === "string" ? init.body : undefined);
  });
}
