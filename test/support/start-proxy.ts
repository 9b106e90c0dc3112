// The one starter for in-process proxies: the real proxy (assemble) on an ephemeral loopback port,
// with every log line captured and a fake clock unless one is given, in front of either the real
// simulator on the same clock (the default) or any API URL (`api`, for fake and stub APIs).

import { mkdtemp, rm, writeFile } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { assemble, type AssembleDeps, type ProxySettings, type RunningProxy } from "../../src/assemble.js";
import type { Clock } from "../../src/clock.js";
import { createLogger, type LogLevel } from "../../src/log.js";
import type { RetryPolicy } from "../../src/session/backoff.js";
import { fileCredentials, staticCredentials, type Credentials } from "../../src/session/credentials.js";
import { startSimulator, type RunningSimulator, type SimulatorOptions } from "../../src/simulator/index.js";
import { FakeClock } from "./fake-clock.js";
import { PASSWORD, USER } from "./identities.js";
import { logSink, testSettings } from "./settings.js";

export interface StartProxyOptions {
  /** The API to front; none: the simulator, on the proxy's clock, with the USER / `password` account. */
  api?: string;
  /** Simulator options over the defaults (without `api`). */
  sim?: Partial<SimulatorOptions>;
  /** Default: a FakeClock at the real time, returned as `fake` so the test can advance it. */
  clock?: Clock;
  settings?: Partial<ProxySettings>;
  env?: NodeJS.ProcessEnv;
  serverLimits?: AssembleDeps["serverLimits"];
  policy?: Partial<RetryPolicy>;
  /** The proxy's password (default PASSWORD); ignored when `credentials` is given. */
  password?: string;
  credentials?: Credentials;
  /** Keep the password in a mode-600 file (re-read at each login) instead of in memory. */
  passwordFile?: boolean;
  logLevel?: LogLevel;
  /** Log in before returning; default true. */
  start?: boolean;
}

export interface StartedProxy {
  clock: Clock;
  /** The clock as a FakeClock, unless the test gave its own. */
  fake: FakeClock | undefined;
  /** The simulator in front of which the proxy runs; undefined with `api`. */
  sim: RunningSimulator | undefined;
  proxy: RunningProxy;
  /** The proxy's origin, and its port. */
  url: string;
  port: number;
  /** Everything the proxy logged, one JSON line per entry. */
  logs: string[];
  /** A temporary directory, removed by close(). */
  dir: string;
  passwordPath: string | undefined;
  setPasswordFile(text: string, mode?: number): Promise<void>;
  /** Shuts the proxy down (100 ms grace), then the simulator, then removes `dir`. */
  close(): Promise<void>;
}

export async function startProxy(opts: StartProxyOptions & { api: string }): Promise<StartedProxy>;
export async function startProxy(opts?: StartProxyOptions): Promise<StartedProxy & { sim: RunningSimulator }>;
export async function startProxy(opts: StartProxyOptions = {}): Promise<StartedProxy> {
  const fake = opts.clock ? undefined : new FakeClock(Date.now());
  const clock = opts.clock ?? fake!;
  const password = opts.password ?? PASSWORD;
  const sim = opts.api ? undefined : await startSimulator({ users: [{ user: USER, password }], clock, ...opts.sim });
  const dir = await mkdtemp(join(tmpdir(), "opc-test-"));
  let passwordPath: string | undefined;
  const setPasswordFile = async (text: string, mode = 0o600) => {
    passwordPath ??= join(dir, "password");
    await rm(passwordPath, { force: true });
    await writeFile(passwordPath, text, { mode });
  };
  let credentials = opts.credentials ?? staticCredentials(USER, password, "the test password");
  if (opts.passwordFile && !opts.credentials) {
    await setPasswordFile(`${password}\n`);
    credentials = fileCredentials(USER, passwordPath!);
  }
  const { lines: logs, stream: sink } = logSink();
  const cleanUp = async () => {
    await sim?.close();
    await rm(dir, { recursive: true, force: true });
  };
  const proxy = await assemble(testSettings(opts.api ?? sim!.url, opts.settings), {
    credentials,
    log: createLogger(opts.logLevel ?? "debug", sink),
    clock,
    random: () => 0.5,
    policy: opts.policy,
    env: opts.env,
    serverLimits: opts.serverLimits,
  }).catch(async (err: unknown) => {
    // Leave nothing listening behind a failed start, or the test file never ends.
    await cleanUp();
    throw err;
  });
  if (opts.start !== false) await proxy.session.start();
  const address = proxy.listening.server.address();
  return {
    clock,
    fake,
    sim,
    proxy,
    url: proxy.url,
    port: address !== null && typeof address === "object" ? (address as AddressInfo).port : 0,
    logs,
    dir,
    get passwordPath() {
      return passwordPath;
    },
    setPasswordFile,
    async close() {
      await proxy.shutdown(100);
      await cleanUp();
    },
  };
}
