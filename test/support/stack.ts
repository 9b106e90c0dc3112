// The proxy in front of the simulator, under the names older tests import: startStack is
// start-proxy.ts's startProxy with the simulator; the HTTP client is http.ts's, the accounts identities.ts's.

import type { RunningSimulator } from "../../src/simulator/index.js";
import { startProxy, type StartProxyOptions, type StartedProxy } from "./start-proxy.js";

export { DIR, PASSWORD, USER, V3 } from "./identities.js";
export { events, send, type Reply } from "./http.js";

export type StackOptions = Omit<StartProxyOptions, "api" | "settings"> & { proxy?: StartProxyOptions["settings"] };
export type Stack = StartedProxy & { sim: RunningSimulator };

/** startProxy in front of the simulator; `proxy` is its `settings`. */
export function startStack(opts: StackOptions = {}): Promise<Stack> {
  const { proxy, ...rest } = opts;
  return startProxy({ ...rest, settings: proxy });
}
