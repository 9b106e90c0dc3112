// Owns what one load run asks for and reports (shared by wrk and the fallback), and the fallback
// itself: a bounded keep-alive load loop in Node for machines without wrk.

import http from "node:http";

export interface LoadSpec {
  /** Origin, e.g. http://127.0.0.1:8080 */
  origin: string;
  path: string;
  method: "GET" | "POST";
  /** Request body size in bytes (0: none). */
  bodyBytes: number;
  connections: number;
  threads: number;
  durationS: number;
  /** A request taking longer than this counts as a timeout error. */
  timeoutS: number;
  /** Cookie header the client sends itself (direct to the upstream: the client holds the session). */
  cookie?: string;
}

export interface LoadErrors {
  /** Responses with a status of 400 or more (wrk's "Non-2xx or 3xx responses"). */
  status: number;
  connect: number;
  read: number;
  write: number;
  timeout: number;
}

export interface LoadResult {
  tool: "wrk" | "node";
  requests: number;
  durationS: number;
  rps: number;
  meanMs: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  bytesRead: number;
  errors: LoadErrors;
}

export function totalErrors(e: LoadErrors): number {
  return e.status + e.connect + e.read + e.write + e.timeout;
}

/**
 * Fallback load generator: `connections` keep-alive loops, each sending its next request when the
 * previous response has been read. Stops at the deadline; every request has a timeout.
 */
export async function runNodeLoad(spec: LoadSpec): Promise<LoadResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: spec.connections, maxFreeSockets: spec.connections });
  const body = spec.bodyBytes > 0 ? Buffer.alloc(spec.bodyBytes, "u") : undefined;
  const target = new URL(spec.path, spec.origin);
  const errors: LoadErrors = { status: 0, connect: 0, read: 0, write: 0, timeout: 0 };
  const latencies: number[] = [];
  let bytesRead = 0;
  const started = performance.now();
  const deadline = started + spec.durationS * 1000;

  const one = () =>
    new Promise<void>((resolve) => {
      const t0 = performance.now();
      let settled = false;
      const settle = (error?: keyof LoadErrors) => {
        if (settled) return;
        settled = true;
        if (error) errors[error]++;
        else latencies.push(performance.now() - t0);
        resolve();
      };
      const headers: http.OutgoingHttpHeaders = { accept: "application/oracle-compute-v3+json" };
      if (spec.cookie) headers.cookie = spec.cookie;
      if (body) {
        headers["content-type"] = "application/octet-stream";
        headers["content-length"] = body.length;
      }
      const req = http.request(
        {
          agent,
          host: target.hostname,
          port: target.port,
          path: target.pathname + target.search,
          method: spec.method,
          headers,
        },
        (res) => {
          res.on("data", (c: Buffer) => (bytesRead += c.length));
          res.once("end", () => {
            if ((res.statusCode ?? 0) >= 400) errors.status++;
            settle();
          });
          res.once("error", () => settle("read"));
        },
      );
      req.setTimeout(spec.timeoutS * 1000, () => {
        settle("timeout");
        req.destroy();
      });
      req.once("error", (err: NodeJS.ErrnoException) =>
        settle(err.code === "ECONNREFUSED" ? "connect" : err.code === "EPIPE" ? "write" : "read"),
      );
      req.end(body);
    });

  const loop = async () => {
    while (performance.now() < deadline) await one();
  };
  const hardStop = new Promise<void>((resolve) =>
    setTimeout(resolve, (spec.durationS + spec.timeoutS + 5) * 1000).unref(),
  );
  await Promise.race([Promise.all(Array.from({ length: spec.connections }, loop)), hardStop]);
  const elapsedS = (performance.now() - started) / 1000;
  agent.destroy();

  latencies.sort((a, b) => a - b);
  const pct = (p: number) =>
    latencies.length === 0 ? 0 : latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))]!;
  const mean = latencies.length === 0 ? 0 : latencies.reduce((a, b) => a + b, 0) / latencies.length;
  return {
    tool: "node",
    requests: latencies.length,
    durationS: elapsedS,
    rps: latencies.length / elapsedS,
    meanMs: mean,
    p50Ms: pct(50),
    p90Ms: pct(90),
    p99Ms: pct(99),
    maxMs: latencies[latencies.length - 1] ?? 0,
    bytesRead,
    errors,
  };
}
