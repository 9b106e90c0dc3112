// What every in-process proxy in the tests starts with: loopback on an ephemeral port, the
// product's defaults, and a log sink that keeps each JSON line for inspection.

import { Writable } from "node:stream";
import type { ProxySettings } from "../../src/assemble.js";

export function testSettings(api: string | URL, overrides: Partial<ProxySettings> = {}): ProxySettings {
  return {
    api: new URL(api),
    listen: { kind: "tcp", host: "127.0.0.1", port: 0 },
    listenText: "127.0.0.1:0",
    maxReplayBytes: 1024 * 1024,
    upstreamTimeoutMs: 10_000,
    allowHosts: [],
    allowOrigins: [],
    ca: undefined,
    insecureSkipTlsVerify: false,
    cookieFile: undefined,
    ...overrides,
  };
}

/** A pino destination that collects log lines into `lines`. */
export function logSink(): { lines: string[]; stream: Writable } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const line of chunk.toString("utf8").split("\n")) if (line) lines.push(line);
      cb();
    },
  });
  return { lines, stream };
}
