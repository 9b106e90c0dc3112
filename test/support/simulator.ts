// Shared by the simulator tests: start a simulator on an ephemeral loopback port with a fake
// clock, send requests with the path bytes exactly as written, log in, and call the API with a cookie.

import { startSimulator, type SimulatorOptions } from "../../src/simulator/index.js";
import { FakeClock } from "./fake-clock.js";
import { send as sendHttp, type Reply } from "./http.js";
import { DIR, PASSWORD, USER, V3 } from "./identities.js";

export { DIR, PASSWORD, USER, V3, type Reply };
export { decodeCookie } from "./cookies.js";

/** One request on a fresh connection; the path is written to the wire unchanged (support/http.ts). */
export function send(
  base: string,
  method: string,
  path: string,
  opts: { headers?: Record<string, string>; body?: string | Buffer } = {},
): Promise<Reply> {
  return sendHttp(base, method, path, { ...opts, fresh: true });
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
