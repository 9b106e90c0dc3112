// Starts the real proxy in front of the real simulator on ephemeral loopback ports, sharing one
// clock (fake by default, so token lifetimes pass when a test advances it), with logs captured.

import { mkdtemp, rm, writeFile } from "node:fs/promises";
import http from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { assemble, type ProxySettings, type RunningProxy } from "../../src/assemble.js";
import type { Clock } from "../../src/clock.js";
import { fileCredentials, staticCredentials, type Credentials } from "../../src/session/credentials.js";
import { createLogger, type LogLevel } from "../../src/log.js";
import type { RetryPolicy } from "../../src/session/backoff.js";
import {
  DEMO_PASSWORD,
  DEMO_USER,
  startSimulator,
  type RunningSimulator,
  type SimulatorOptions,
} from "../../src/simulator/index.js";
import { FakeClock } from "./fake-clock.js";
import { logSink, testSettings } from "./settings.js";

export const USER = DEMO_USER;
export const PASSWORD = DEMO_PASSWORD;
export const V3 = "application/oracle-compute-v3+json";
export const DIR = "application/oracle-compute-v3+directory+json";

export interface StackOptions {
  clock?: Clock;
  sim?: Partial<SimulatorOptions>;
  proxy?: Partial<ProxySettings>;
  /** Keep the password in a mode-600 file (re-read at each login) instead of in memory. */
  passwordFile?: boolean;
  logLevel?: LogLevel;
  policy?: Partial<RetryPolicy>;
  /** Start the session (and wait for the first login); default true. */
  start?: boolean;
}

export interface Stack {
  clock: Clock;
  fake: FakeClock | undefined;
  sim: RunningSimulator;
  proxy: RunningProxy;
  /** The proxy's origin. */
  url: string;
  /** Everything the proxy logged, one JSON line per entry. */
  logs: string[];
  dir: string;
  passwordPath: string | undefined;
  setPasswordFile(text: string, mode?: number): Promise<void>;
  close(): Promise<void>;
}

export async function startStack(opts: StackOptions = {}): Promise<Stack> {
  const fake = opts.clock ? undefined : new FakeClock(Date.now());
  const clock = opts.clock ?? fake!;
  const sim = await startSimulator({ users: [{ user: USER, password: PASSWORD }], clock, ...opts.sim });
  const dir = await mkdtemp(join(tmpdir(), "opc-e2e-"));
  let passwordPath: string | undefined;
  let credentials: Credentials;
  const setPasswordFile = async (text: string, mode = 0o600) => {
    passwordPath ??= join(dir, "password");
    await rm(passwordPath, { force: true });
    await writeFile(passwordPath, text, { mode });
  };
  if (opts.passwordFile) {
    await setPasswordFile(`${PASSWORD}\n`);
    credentials = fileCredentials(USER, passwordPath!);
  } else {
    credentials = staticCredentials(USER, PASSWORD, "the test password");
  }
  const { lines: logs, stream: sink } = logSink();
  const log = createLogger(opts.logLevel ?? "debug", sink);
  const proxy = await assemble(testSettings(sim.url, opts.proxy), {
    credentials,
    log,
    clock,
    random: () => 0.5,
    policy: opts.policy,
  }).catch(async (err: unknown) => {
    // Leave nothing listening behind a failed start, or the test file never ends.
    await sim.close();
    await rm(dir, { recursive: true, force: true });
    throw err;
  });
  if (opts.start !== false) await proxy.session.start();
  return {
    clock,
    fake,
    sim,
    proxy,
    url: proxy.url,
    logs,
    dir,
    get passwordPath() {
      return passwordPath;
    },
    setPasswordFile,
    async close() {
      await proxy.shutdown(100);
      await sim.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  text: string;
  json(): any;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

/** One request to `base` with the path written to the wire unchanged. */
export function send(
  base: string,
  method: string,
  path: string,
  opts: { headers?: http.OutgoingHttpHeaders; body?: string | Buffer; fresh?: boolean } = {},
): Promise<Reply> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: url.hostname,
        port: url.port,
        method,
        path,
        headers: opts.headers,
        agent: opts.fresh ? false : agent,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("error", reject);
        res.on("end", () => {
          const body = Buffer.concat(chunks);
          const text = body.toString("utf8");
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body, text, json: () => JSON.parse(text) });
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
