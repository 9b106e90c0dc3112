// Memory per client identity: 1,000 identities held by the real registry and SessionManager (with
// the log, history and metrics wiring of client mode), logged in against an in-process fake API
// whose cookies have the public cloud's size and shape. Reports heap bytes per identity.
// Run: node --expose-gc --import tsx bench/identities.ts [count]

import { clientRegistry } from "../src/assemble-clients.js";
import { systemClock } from "../src/clock.js";
import { silentLogger } from "../src/log.js";
import type { AuthClient } from "../src/session/api-auth.js";
import type { IssuedCookie } from "../src/session/cookie.js";
import { SessionHistory } from "../src/telemetry/history.js";
import { createMetrics } from "../src/telemetry/metrics.js";

const COUNT = Number(process.argv[2] ?? 1000);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error("run with node --expose-gc");

/** A cookie as design fact 4 describes it: base64 of nested JSON with claims and a signature. */
function cookieFor(user: string, now: number): IssuedCookie {
  const inner = JSON.stringify({
    customer: user.split("/")[1],
    realm: "compute-us2-z12",
    entity_type: "user",
    session_expires: (now + 3 * 3600_000) / 1000,
    expires: (now + 1800_000) / 1000,
    user,
    groups: [`/${user.split("/")[1]}/Compute.Compute_Operations`, `/${user.split("/")[1]}/Compute.Compute_Monitor`],
  });
  const middle = JSON.stringify({ realm: "compute-us2-z12", value: inner, signature: "s".repeat(344) });
  return {
    value: Buffer.from(JSON.stringify({ identity: middle })).toString("base64"),
    maxAgeSeconds: 1800,
    status: 204,
  };
}

const auth: AuthClient = {
  authenticate: async (user) => cookieFor(user, Date.now()),
  refresh: async () => {
    throw new Error("not in this benchmark");
  },
};

function heapUsed(): number {
  for (let i = 0; i < 3; i++) gc!();
  return process.memoryUsage().heapUsed;
}

async function main(): Promise<void> {
  const metrics = createMetrics(undefined);
  const history = new SessionHistory({ clock: systemClock });
  const users = Array.from({ length: COUNT }, (_, i) => ({
    user: `/Compute-acme${i % 50}/user${i}.name@example.com`,
    password: `password-${i}-${"x".repeat(16)}`,
  }));
  const before = heapUsed();
  const registry = clientRegistry({
    log: silentLogger,
    auth,
    clock: systemClock,
    maxIdentities: COUNT,
    idleTimeoutMs: 30 * 60_000,
    metrics,
    history,
  });
  for (const u of users) {
    const r = await registry.ensure(u.user, u.password);
    if (r.outcome !== "ok") throw new Error(`login of ${u.user}: ${r.outcome}`);
    registry.issueHandle(r.key);
  }
  const after = heapUsed();
  const perIdentity = Math.round((after - before) / COUNT);
  console.log(
    JSON.stringify({
      identities: registry.size,
      heapBeforeBytes: before,
      heapAfterBytes: after,
      bytesPerIdentity: perIdentity,
      node: process.version,
    }),
  );
  registry.stop();
}

await main();
