// A plain HTTP client for tests: one request with the path bytes exactly as written (never
// normalised), the whole answer collected, and the proxy's JSON log lines picked by event.

import http from "node:http";

export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  text: string;
  json(): any;
  /** The value of the last `nimbula` Set-Cookie, if any. */
  cookie(): string | undefined;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

/** One request to `base` with the path written to the wire unchanged; `fresh`: on a new connection. */
export function send(
  base: string,
  method: string,
  path: string,
  opts: { headers?: http.OutgoingHttpHeaders; body?: string | Buffer; fresh?: boolean } = {},
): Promise<Reply> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: url.hostname, port: url.port, method, path, headers: opts.headers, agent: opts.fresh ? false : agent },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("error", reject);
        res.on("end", () => {
          const body = Buffer.concat(chunks);
          const text = body.toString("utf8");
          const setCookie = res.headers["set-cookie"] ?? [];
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body,
            text,
            json: () => JSON.parse(text),
            cookie: () => {
              const line = setCookie.filter((l) => l.startsWith("nimbula=")).pop();
              return line === undefined ? undefined : line.slice("nimbula=".length, line.indexOf(";"));
            },
          });
        });
      },
    );
    req.on("error", reject);
    req.end(opts.body);
  });
}

/** Parsed log entries whose `event` is `name`. */
export function events(logs: readonly string[], name: string): Array<Record<string, unknown>> {
  return logs.map((l) => JSON.parse(l) as Record<string, unknown>).filter((e) => e.event === name);
}
