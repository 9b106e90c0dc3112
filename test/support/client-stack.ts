// Starts the proxy in client identity mode in front of the simulator with users of three identity
// domains, on one fake clock, with logs captured; and the two ways a client brings its identity.

import { assembleClientMode, type RunningClientProxy } from "../../src/assemble-clients.js";
import type { ProxySettings } from "../../src/assemble.js";
import { createLogger } from "../../src/log.js";
import { startSimulator, type RunningSimulator, type SimulatorOptions } from "../../src/simulator/index.js";
import { FakeClock } from "./fake-clock.js";
import { logSink, testSettings } from "./settings.js";
import { send, V3, type Reply } from "./stack.js";

export const ALICE = { user: "/Compute-acme/jack.jones@example.com", password: "alice: pass:word" };
export const BOB = { user: "/Compute-beta/jill.smith@example.com", password: "bob's password" };
export const CAROL = { user: "/Compute-gamma/carl.ross@example.com", password: "carol's password" };

export interface ClientStack {
  clock: FakeClock;
  sim: RunningSimulator;
  proxy: RunningClientProxy;
  url: string;
  logs: string[];
  /** A second proxy on the same simulator and clock (a restart), closing the first. */
  restart(): Promise<void>;
  close(): Promise<void>;
}

export async function startClientStack(
  opts: { proxy?: Partial<ProxySettings>; sim?: Partial<SimulatorOptions> } = {},
): Promise<ClientStack> {
  const clock = new FakeClock(Date.now());
  const sim = await startSimulator({ users: [ALICE, BOB, CAROL], clock, ...opts.sim });
  const { lines: logs, stream } = logSink();
  const log = createLogger("debug", stream);
  const start = () =>
    assembleClientMode(testSettings(sim.url, opts.proxy), { log, clock, random: () => 0.5 }).catch(
      async (err: unknown) => {
        await sim.close();
        throw err;
      },
    );
  const stack: ClientStack = {
    clock,
    sim,
    proxy: await start(),
    get url() {
      return this.proxy.url;
    },
    logs,
    async restart() {
      await this.proxy.shutdown(100);
      this.proxy = await start();
    },
    async close() {
      await this.proxy.shutdown(100);
      await sim.close();
    },
  };
  return stack;
}

/** A client's own login, as the SDKs send it. */
export const login = (url: string, who: { user: string; password: string }): Promise<Reply> =>
  send(url, "POST", "/authenticate/", {
    headers: { "content-type": V3, accept: V3 },
    body: JSON.stringify({ user: who.user, password: who.password }),
  });

/** The `nimbula=<handle>` a login answered with, as an SDK keeps it. */
export function handleCookie(r: Reply): string {
  const line = (r.headers["set-cookie"] ?? [])[0];
  if (!line) throw new Error(`no Set-Cookie in a ${r.status} answer: ${r.text}`);
  return line.split(";")[0]!;
}

/** `Authorization: Basic …` as `curl -u user:password` sends it. */
export const basic = (who: { user: string; password: string }): string =>
  `Basic ${Buffer.from(`${who.user}:${who.password}`).toString("base64")}`;
