// A scripted stand-in for the API on 127.0.0.1:0, for the faults that the simulator never shows:
// an answer trickled a byte at a time, an error body that echoes the request, a gateway's page.

import { once } from "node:events";
import http from "node:http";
import type { AddressInfo, Socket } from "node:net";

export interface StubApi {
  url: string;
  port: number;
  /** Requests seen, as "METHOD path". */
  seen: string[];
  close(): Promise<void>;
}

/** What the stub does with a request whose body has been read. */
export type StubAnswer = (req: http.IncomingMessage, body: string, socket: Socket) => void;

export async function startStubApi(answer: StubAnswer): Promise<StubApi> {
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const seen: string[] = [];
  const server = http.createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString("utf8")));
    req.on("end", () => answer(req, body, res.socket!));
  });
  server.on("connection", (s: Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        for (const t of timers) clearInterval(t);
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      }),
  };
}

/**
 * An answer that sends `head` (by default a status line and the start of a header), then one byte
 * every `everyMs`, for at most `maxBytes` bytes (bounded: the stub never runs on its own for
 * long), never finishing.
 */
export function trickle(head = "HTTP/1.1 204 No Content\r\nX-Slow: ", everyMs = 20, maxBytes = 500): StubAnswer {
  return (_req, _body, socket) => {
    socket.write(head);
    let sent = 0;
    const t = setInterval(() => {
      if (socket.destroyed || ++sent > maxBytes) return clearInterval(t);
      socket.write("a");
    }, everyMs);
    socket.on("close", () => clearInterval(t));
  };
}

/** An answer with this status and body, written whole. */
export function answer(status: number, body: string, contentType = "application/json"): StubAnswer {
  return (_req, _body, socket) => {
    socket.end(
      `HTTP/1.1 ${status} X\r\ncontent-type: ${contentType}\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
    );
  };
}
