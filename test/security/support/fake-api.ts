// A tiny stand-in for the Compute API that records every request it receives (headers and body) and
// lets a test answer as it likes: the way to see exactly what the proxy sends upstream, and to
// send back what the simulator never would (garbage cookies, truncated bodies, dribbled responses).

import { once } from "node:events";
import http from "node:http";
import https from "node:https";
import type { AddressInfo, Socket } from "node:net";

export interface Recorded {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  rawHeaders: string[];
  body: string;
  /** The client went away before its request or the response finished. */
  aborted: boolean;
}

/** Answers one non-login request; return false to let the default answer (200 `{"result": []}`) go. */
export type Handler = (req: http.IncomingMessage, res: http.ServerResponse, rec: Recorded) => boolean | void;

export interface FakeApi {
  url: string;
  port: number;
  requests: Recorded[];
  /** Every nimbula value this API issued, in order. */
  issued: string[];
  handler: Handler | undefined;
  close(): Promise<void>;
}

export async function startFakeApi(
  opts: { tls?: { key: string; cert: string }; handler?: Handler; host?: string } = {},
): Promise<FakeApi> {
  const requests: Recorded[] = [];
  const issued: string[] = [];
  const sockets = new Set<Socket>();
  let n = 0;
  const api: FakeApi = { url: "", port: 0, requests, issued, handler: opts.handler, close: async () => undefined };
  const issue = (res: http.ServerResponse) => {
    const value = `fake-${++n}-${Math.random().toString(36).slice(2)}==`;
    issued.push(value);
    res.setHeader("set-cookie", `nimbula=${value}; Path=/; Max-Age=1800`);
  };
  const listener = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const rec: Recorded = {
      method: req.method ?? "",
      url: req.url ?? "",
      headers: req.headers,
      rawHeaders: req.rawHeaders,
      body: "",
      aborted: false,
    };
    requests.push(rec);
    req.on("data", (c: Buffer) => {
      if (rec.body.length < 1_000_000) rec.body += c.toString("latin1");
    });
    res.on("close", () => {
      if (!res.writableFinished) rec.aborted = true;
    });
    req.on("close", () => {
      if (!req.complete) rec.aborted = true;
    });
    if (req.method === "POST" && req.url === "/authenticate/") {
      req.on("end", () => {
        issue(res);
        res.writeHead(204).end();
      });
      return;
    }
    if (req.method === "GET" && req.url === "/refresh/") {
      issue(res);
      res.writeHead(204).end();
      return;
    }
    // The handler takes the request unless it returns false.
    const took = api.handler ? api.handler(req, res, rec) : false;
    if (took === false) {
      req.on("end", () => {
        const body = JSON.stringify({ result: [] });
        res
          .writeHead(200, {
            "content-type": "application/oracle-compute-v3+json",
            "content-length": Buffer.byteLength(body),
          })
          .end(body);
      });
    }
  };
  const server = opts.tls
    ? https.createServer({ key: opts.tls.key, cert: opts.tls.cert }, listener)
    : http.createServer(listener);
  server.on("connection", (s: Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  server.listen(0, opts.host ?? "127.0.0.1");
  await once(server, "listening");
  const port = (server.address() as AddressInfo).port;
  api.port = port;
  api.url = `${opts.tls ? "https" : "http"}://127.0.0.1:${port}`;
  api.close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      for (const s of sockets) s.destroy();
    });
  return api;
}
