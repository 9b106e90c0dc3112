// Shared by the simulator tests: start a simulator on an ephemeral loopback port with a fake
// clock, send requests with the path bytes exactly as written, and log in.

import { request } from "node:http";
import { FakeClock } from "../support/fake-clock.js";
import { DEMO_PASSWORD, DEMO_USER, startSimulator, type SimulatorOptions } from "../../src/simulator/index.js";

export const V3 = "application/oracle-compute-v3+json";
export const DIR = "application/oracle-compute-v3+directory+json";
export const USER = DEMO_USER;
export const PASSWORD = DEMO_PASSWORD;

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json(): any;
  /** The value of the `nimbula` Set-Cookie, if any. */
  cookie(): string | undefined;
}

/** Sends one request over a fresh connection; the path is written to the wire unchanged. */
export function send(
  base: string,
  method: string,
  path: string,
  opts: { headers?: Record<string, string>; body?: string | Buffer } = {},
): Promise<Reply> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request(
      { host: url.hostname, port: url.port, method, path, headers: opts.headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("error", reject);
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          const setCookie = res.headers["set-cookie"] ?? [];
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
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

export async function startFake(opts: Partial<SimulatorOptions> = {}) {
  const clock = new FakeClock();
  const sim = await startSimulator({ users: [{ user: USER, password: PASSWORD }], clock, ...opts });
  return { ...sim, clock };
}

export function login(base: string, user = USER, password = PASSWORD, contentType = V3): Promise<Reply> {
  return send(base, "POST", "/authenticate/", {
    headers: { "content-type": contentType },
    body: JSON.stringify({ user, password }),
  });
}

/** Logs in and returns the cookie value; fails the test if login does not succeed. */
export async function cookieFor(base: string, user = USER, password = PASSWORD): Promise<string> {
  const r = await login(base, user, password);
  const cookie = r.cookie();
  if (r.status !== 204 || !cookie) throw new Error(`login failed: ${r.status} ${r.text}`);
  return cookie;
}

/** A request carrying the cookie, with v3 JSON content type when there is a body. */
export function api(
  base: string,
  cookie: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Reply> {
  return send(base, method, path, {
    headers: { cookie: `nimbula=${cookie}`, ...(body === undefined ? {} : { "content-type": V3 }), ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

/** The inner identity of a cookie value: outer {identity} → {realm, value, signature} → claims. */
export function decodeCookie(value: string, raw = false): { outer: any; identity: any; claims: any } {
  const outer = JSON.parse(raw ? value : Buffer.from(value, "base64").toString("utf8"));
  const identity = JSON.parse(outer.identity);
  return { outer, identity, claims: JSON.parse(identity.value) };
}
