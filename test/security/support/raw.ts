// Speaks HTTP/1.1 by hand over a raw TCP socket, so tests can send what no client library would:
// malformed lines, absolute-form targets, CONNECT, stalled heads and bodies.

import net from "node:net";

export interface RawReply {
  /** Status of the first response, 0 when none arrived. */
  status: number;
  headers: Record<string, string>;
  body: string;
  /** Every byte the server sent. */
  raw: string;
  /** The server closed the connection (rather than the test's time limit ending it). */
  closed: boolean;
  /** Milliseconds from connecting to the end. */
  elapsedMs: number;
}

export interface RawOptions {
  /** Longest wait for the server before giving up (the test then sees closed = false). */
  timeoutMs?: number;
  /** Stop as soon as one whole response arrived (keep-alive servers do not close). */
  untilResponse?: boolean;
  /** Written after the first chunk, one every `gapMs`. */
  more?: Array<string | Buffer>;
  gapMs?: number;
}

export function raw(port: number, data: string | Buffer, opts: RawOptions = {}, host = "127.0.0.1"): Promise<RawReply> {
  const started = Date.now();
  return new Promise((resolve) => {
    const sock = net.connect(port, host);
    const chunks: Buffer[] = [];
    let done = false;
    const timers: NodeJS.Timeout[] = [];
    const finish = (closed: boolean) => {
      if (done) return;
      done = true;
      for (const t of timers) clearTimeout(t);
      sock.destroy();
      resolve({ ...parse(Buffer.concat(chunks).toString("latin1")), closed, elapsedMs: Date.now() - started });
    };
    sock.on("data", (c: Buffer) => {
      chunks.push(c);
      if (opts.untilResponse && complete(Buffer.concat(chunks).toString("latin1"))) finish(false);
    });
    sock.on("error", () => finish(true));
    sock.on("close", () => finish(true));
    sock.write(data);
    (opts.more ?? []).forEach((piece, i) => {
      timers.push(
        setTimeout(
          () => {
            if (!done && sock.writable) sock.write(piece);
          },
          (i + 1) * (opts.gapMs ?? 50),
        ),
      );
    });
    timers.push(setTimeout(() => finish(false), opts.timeoutMs ?? 3_000));
  });
}

function parse(text: string): Pick<RawReply, "status" | "headers" | "body" | "raw"> {
  const end = text.indexOf("\r\n\r\n");
  const head = end === -1 ? text : text.slice(0, end);
  const lines = head.split("\r\n");
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? "");
  const headers: Record<string, string> = {};
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(":");
    if (colon > 0) headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
  }
  let body = end === -1 ? "" : text.slice(end + 4);
  const len = headers["content-length"];
  if (len !== undefined) body = body.slice(0, Number(len));
  return { status: m ? Number(m[1]) : 0, headers, body, raw: text };
}

function complete(text: string): boolean {
  const end = text.indexOf("\r\n\r\n");
  if (end === -1) return false;
  const { headers } = parse(text);
  const len = headers["content-length"];
  if (len !== undefined) return Buffer.byteLength(text.slice(end + 4), "latin1") >= Number(len);
  if (headers["transfer-encoding"]) return text.endsWith("0\r\n\r\n");
  return false;
}

/** A GET with the given Host (undefined: no Host line) and extra header lines. */
export function get(path: string, host: string | undefined, extra: string[] = [], method = "GET"): string {
  return [`${method} ${path} HTTP/1.1`, ...(host === undefined ? [] : [`Host: ${host}`]), ...extra, "", ""].join(
    "\r\n",
  );
}

/** The JSON body of a reply; fails the test with the raw reply if it is not JSON. */
export function json(r: RawReply): { message: string; code?: string } & Record<string, unknown> {
  try {
    return JSON.parse(r.body) as { message: string; code?: string };
  } catch {
    throw new Error(`expected a JSON body, got: ${JSON.stringify(r.raw.slice(0, 400))}`);
  }
}
