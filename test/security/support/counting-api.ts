// A stand-in Compute API that records, per TCP connection, every request it parsed: the way to see
// that one forwarded request is exactly one upstream request, and which pool carried each one.

import { once } from "node:events";
import http from "node:http";
import type { AddressInfo, Socket } from "node:net";

export interface Seen {
  connection: number;
  method: string;
  url: string;
  bodyBytes: number;
  complete: boolean;
}

export interface CountingApi {
  url: string;
  seen: Seen[];
  /** Requests other than the proxy's own logins and refreshes. */
  forwarded(): Seen[];
  /** Connection ids that carried a login or refresh. */
  sessionConnections(): Set<number>;
  /** Answer the login with these extra headers (large-header tests). */
  extraHeaders: Record<string, string>;
  close(): Promise<void>;
}

const SESSION_PATHS = new Set(["/authenticate/", "/refresh/"]);

export async function startCountingApi(): Promise<CountingApi> {
  const seen: Seen[] = [];
  const ids = new WeakMap<Socket, number>();
  const sockets = new Set<Socket>();
  let next = 0;
  let n = 0;
  const api: CountingApi = {
    url: "",
    seen,
    forwarded: () => seen.filter((s) => !SESSION_PATHS.has(s.url)),
    sessionConnections: () => new Set(seen.filter((s) => SESSION_PATHS.has(s.url)).map((s) => s.connection)),
    extraHeaders: {},
    close: async () => undefined,
  };
  const server = http.createServer((req, res) => {
    const rec: Seen = {
      connection: ids.get(req.socket) ?? -1,
      method: req.method ?? "",
      url: req.url ?? "",
      bodyBytes: 0,
      complete: false,
    };
    seen.push(rec);
    req.on("data", (c: Buffer) => (rec.bodyBytes += c.length));
    req.on("end", () => {
      rec.complete = true;
      if (SESSION_PATHS.has(rec.url)) {
        res.setHeader("set-cookie", `nimbula=counting-${++n}; Path=/; Max-Age=1800`);
        res.writeHead(204).end();
        return;
      }
      const body = JSON.stringify({ method: rec.method, url: rec.url, bodyBytes: rec.bodyBytes });
      res.writeHead(200, {
        "content-type": "application/json",
        "content-length": Buffer.byteLength(body),
        ...api.extraHeaders,
      });
      res.end(rec.method === "HEAD" ? undefined : body);
    });
  });
  server.on("connection", (s: Socket) => {
    ids.set(s, ++next);
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  api.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  api.close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      for (const s of sockets) s.destroy();
    });
  return api;
}
