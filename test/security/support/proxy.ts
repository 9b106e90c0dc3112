// The proxy in front of any API URL, under the names older tests import: start-proxy.ts's
// startProxy with `api`, logging in with the distinctive SECRET_PASSWORD of identities.ts.

import { startProxy as start, type StartProxyOptions, type StartedProxy } from "../../support/start-proxy.js";
import type { FakeClock } from "../../support/fake-clock.js";
import { SECRET_PASSWORD } from "../../support/identities.js";

export { USER } from "../../support/identities.js";
export const PASSWORD = SECRET_PASSWORD;

export type TestProxy = StartedProxy & { clock: FakeClock };
export type TestProxyOptions = Omit<StartProxyOptions, "api" | "clock" | "sim" | "password">;

export async function startProxy(api: string, opts: TestProxyOptions = {}): Promise<TestProxy> {
  // With no clock given, start-proxy.ts's clock is its FakeClock.
  return (await start({ ...opts, api, password: SECRET_PASSWORD })) as TestProxy;
}
