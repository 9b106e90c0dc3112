// A tiny corporate proxy for tests, on 127.0.0.1: CONNECT tunnels and absolute-form forwarding,
// every target sent to one local port (so the proxy, not the client, "resolves" names like
// api.test.invalid), with each tunnel and request counted.

import { once } from "node:events";
import http from "node:http";
import net, { type AddressInfo, type Socket } from "node:net";

export interface CorpProxy {
  url: string;
  port: number;
  /** CONNECT requests: target and Proxy-Authorization. */
  tunnels: Array<{ target: string; auth: string | undefined }>;
  /** Forwarded requests: the request line's target exactly, and Proxy-Authorization. */
  forwarded: Array<{ target: string; auth: string | undefined }>;
  /** TCP connections the client opened to the proxy. */
  connections: number;
  close(): Promise<void>;
}

/** `refuseConnect`: answer every CONNECT with this status (403 a policy, 407 credentials) and an HTML page. */
export async function startCorpProxy(targetPort: number, opts: { refuseConnect?: number } = {}): Promise<CorpProxy> {
  const sockets = new Set<Socket>();
  const upstreamAgent = new http.Agent({ keepAlive: true });
  const p: CorpProxy = { url: "", port: 0, tunnels: [], forwarded: [], connections: 0, close: async () => undefined };
  const server = http.createServer((req, res) => {
    const target = req.url ?? "";
    p.forwarded.push({ target, auth: req.headers["proxy-authorization"] });
    const m = /^http:\/\/[^/?#]*(.*)$/s.exec(target);
    if (!m) {
      res.writeHead(400).end("absolute-form expected");
      return;
    }
    const headers = { ...req.headers };
    delete headers["proxy-authorization"];
    delete headers["proxy-connection"];
    const up = http.request(
      { host: "127.0.0.1", port: targetPort, method: req.method, path: m[1] || "/", headers, agent: upstreamAgent },
      (ur) => {
        res.writeHead(ur.statusCode ?? 502, ur.headers);
        ur.pipe(res);
      },
    );
    up.on("error", () => res.destroy());
    req.pipe(up);
  });
  server.on("connect", (req: http.IncomingMessage, client: Socket, head: Buffer) => {
    p.tunnels.push({ target: req.url ?? "", auth: req.headers["proxy-authorization"] });
    if (opts.refuseConnect !== undefined) {
      const page = `<html><body>Access denied by corporate policy</body></html>`;
      const challenge = opts.refuseConnect === 407 ? 'Proxy-Authenticate: Basic realm="corp"\r\n' : "";
      client.end(
        `HTTP/1.1 ${opts.refuseConnect} Refused\r\n${challenge}Content-Type: text/html\r\nContent-Length: ${page.length}\r\n\r\n${page}`,
      );
      return;
    }
    const up = net.connect(targetPort, "127.0.0.1", () => {
      client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
      if (head.length > 0) up.write(head);
      up.pipe(client);
      client.pipe(up);
    });
    up.on("error", () => client.destroy());
    client.on("error", () => up.destroy());
    sockets.add(up);
    up.on("close", () => sockets.delete(up));
  });
  server.on("connection", (s: Socket) => {
    p.connections++;
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  p.port = (server.address() as AddressInfo).port;
  p.url = `http://127.0.0.1:${p.port}`;
  p.close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      for (const s of sockets) s.destroy();
      upstreamAgent.destroy();
    });
  return p;
}
