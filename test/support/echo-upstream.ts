// A minimal stand-in API for tests that need to see exactly what the proxy sent: it logs in anyone,
// records every request line and header, and serves /upload (counts bytes), /download?bytes=N
// (streams N bytes), /download-json?bytes=N (N bytes of JSON-typed uri lines) and /echo.

import http from "node:http";
import type { AddressInfo } from "node:net";

export interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
}

export interface EchoUpstream {
  url: string;
  seen: Seen[];
  logins: number;
  /** Extra headers every non-login response carries. */
  extraHeaders: Record<string, string | string[]>;
  close(): Promise<void>;
}

export async function startEchoUpstream(): Promise<EchoUpstream> {
  const state: EchoUpstream = { url: "", seen: [], logins: 0, extraHeaders: {}, close: async () => undefined };
  const server = http.createServer((req, res) => {
    if (req.url === "/authenticate/") {
      req.resume();
      req.on("end", () => {
        state.logins++;
        res.writeHead(204, { "set-cookie": `nimbula=echo-token-${state.logins}; Path=/; Max-Age=1800` });
        res.end();
      });
      return;
    }
    state.seen.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers });
    const url = req.url ?? "/";
    if (url === "/upload") {
      let n = 0;
      req.on("data", (c: Buffer) => (n += c.length));
      req.on("end", () => {
        res.writeHead(200, { "content-type": "application/json", ...state.extraHeaders });
        res.end(JSON.stringify({ bytes: n }));
      });
      return;
    }
    if (url.startsWith("/download?bytes=") || url.startsWith("/download-json?bytes=")) {
      req.resume();
      const json = url.startsWith("/download-json");
      let left = Number(url.slice(url.indexOf("=") + 1));
      // JSON-typed: a 64 KiB chunk of 1 KiB lines, each holding one absolute uri on this origin.
      const chunk = json ? uriLines(state.url) : Buffer.alloc(64 * 1024, 0x61);
      const type = json ? "application/oracle-compute-v3+json" : "application/octet-stream";
      res.writeHead(200, { "content-type": type, "content-length": String(left) });
      const pump = () => {
        while (left > 0) {
          const n = Math.min(left, chunk.length);
          left -= n;
          if (!res.write(n === chunk.length ? chunk : chunk.subarray(0, n))) return void res.once("drain", pump);
        }
        res.end();
      };
      pump();
      return;
    }
    if (url === "/echo") {
      res.writeHead(200, {
        "content-type": req.headers["content-type"] ?? "application/octet-stream",
        ...state.extraHeaders,
      });
      req.pipe(res);
      return;
    }
    req.resume();
    res.writeHead(200, { "content-type": "application/json", ...state.extraHeaders });
    res.end(JSON.stringify({ method: req.method, url }));
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return state;
}

/** 64 KiB of 1 KiB lines `{"uri":"<origin>/instance/…"}` padded with spaces: URI_LINES_PER_CHUNK uris. */
export function uriLines(origin: string): Buffer {
  const line = `{"uri":"${origin}/instance/Compute-acme/x"}`;
  return Buffer.from(Array.from({ length: URI_LINES_PER_CHUNK }, () => line.padEnd(1023, " ") + "\n").join(""));
}
export const URI_LINES_PER_CHUNK = 64;
