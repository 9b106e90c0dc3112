// Starts the real proxy (assemble) in front of any API URL on an ephemeral loopback port, with a
// fake clock and every log line captured: for tests whose upstream is not the simulator.

import type { AddressInfo } from "node:net";
import { assemble, type AssembleDeps, type ProxySettings, type RunningProxy } from "../../../src/assemble.js";
import { staticCredentials, type Credentials } from "../../../src/session/credentials.js";
import { createLogger, type LogLevel } from "../../../src/log.js";
import { FakeClock } from "../../support/fake-clock.js";
import { logSink, testSettings } from "../../support/settings.js";

export const USER = "/Compute-acme/jack.jones@example.com";
export const PASSWORD = "pw-Tr0ub4dor&3-never-logged";

export interface TestProxy {
  proxy: RunningProxy;
  url: string;
  port: number;
  logs: string[];
  clock: FakeClock;
  close(): Promise<void>;
}

export interface TestProxyOptions {
  settings?: Partial<ProxySettings>;
  env?: NodeJS.ProcessEnv;
  serverLimits?: AssembleDeps["serverLimits"];
  credentials?: Credentials;
  logLevel?: LogLevel;
  /** Log in before returning; default true. */
  start?: boolean;
  policy?: AssembleDeps["policy"];
}

export async function startProxy(api: string, opts: TestProxyOptions = {}): Promise<TestProxy> {
  const clock = new FakeClock(Date.now());
  const { lines: logs, stream: sink } = logSink();
  const proxy = await assemble(testSettings(api, opts.settings), {
    credentials: opts.credentials ?? staticCredentials(USER, PASSWORD, "the test password"),
    log: createLogger(opts.logLevel ?? "debug", sink),
    clock,
    random: () => 0.5,
    env: opts.env,
    serverLimits: opts.serverLimits,
    policy: opts.policy,
  });
  if (opts.start !== false) await proxy.session.start();
  const port =
    proxy.listening.server.address() !== null && typeof proxy.listening.server.address() === "object"
      ? (proxy.listening.server.address() as AddressInfo).port
      : 0;
  return { proxy, url: proxy.url, port, logs, clock, close: () => proxy.shutdown(100) };
}
