// Process metrics keep the standard prom-client names, so stock Node.js dashboards and alerts work.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { SessionManager } from "../../src/session/manager.js";
import { createMetrics } from "../../src/telemetry/metrics.js";

/** Just what createMetrics reads from a session. */
const idleSession = {
  on: () => undefined,
  snapshot: () => ({ ready: false }),
} as unknown as SessionManager;

describe("process metrics", () => {
  it("use the standard process_* and nodejs_* names, without the proxy's prefix", async () => {
    const text = await createMetrics(idleSession, { processMetrics: true }).registry.metrics();
    for (const name of ["process_cpu_seconds_total", "process_resident_memory_bytes", "nodejs_heap_size_used_bytes"]) {
      assert.match(text, new RegExp(`^${name} `, "m"), name);
    }
    assert.doesNotMatch(text, /^opc_auth_proxy_(process|nodejs)_/m);
    assert.match(text, /^# TYPE opc_auth_proxy_requests_total counter/m, "the proxy's own metrics keep their prefix");
  });

  it("are left out when not asked for (tests run many proxies in one process)", async () => {
    const text = await createMetrics(idleSession).registry.metrics();
    assert.doesNotMatch(text, /^(process|nodejs)_/m);
  });
});
