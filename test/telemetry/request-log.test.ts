// The per-request log line: its fields, masking of remembered secrets without pino's path redaction,
// and nothing at all when info lines are off.

import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { createLogger, type LogLevel } from "../../src/log.js";
import { forgetSecrets, MASK, rememberSecret } from "../../src/secrets.js";
import { requestLogger } from "../../src/telemetry/request-log.js";
import type { ExchangeRecord } from "../../src/proxy/exchange-types.js";

function capture(level: LogLevel) {
  const lines: Record<string, unknown>[] = [];
  const log = createLogger(level, { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) });
  return { lines, write: requestLogger(log) };
}

const record: ExchangeRecord = {
  method: "GET",
  path: "/instance/Compute-acme/",
  status: 200,
  durationMs: 1.5,
  retried: false,
  requestId: "req-1",
};

describe("requestLogger", () => {
  after(forgetSecrets);

  it("writes one info line with the record's fields, retried as no/401/reset", () => {
    const { lines, write } = capture("info");
    write(record);
    write({ ...record, retried: "401", status: 502, error: "API_UNREACHABLE" });
    assert.equal(lines.length, 2);
    assert.deepEqual(
      { ...lines[0], time: undefined },
      {
        level: "info",
        time: undefined,
        name: "opc-auth-proxy",
        component: "proxy",
        event: "request",
        method: "GET",
        path: "/instance/Compute-acme/",
        status: 200,
        durationMs: 1.5,
        retried: "no",
        requestId: "req-1",
        msg: "GET /instance/Compute-acme/ 200",
      },
    );
    assert.equal(lines[1]!.retried, "401");
    assert.equal(lines[1]!.error, "API_UNREACHABLE");
  });

  it("masks a remembered secret a client put in the path, in the field and in the message", () => {
    rememberSecret("operator-password-42");
    const { lines, write } = capture("info");
    write({ ...record, path: "/x/operator-password-42/" });
    const text = JSON.stringify(lines[0]);
    assert.doesNotMatch(text, /operator-password-42/);
    assert.equal(lines[0]!.path, `/x/${MASK}/`);
    write({ ...record, path: "/x/%6Fperator-password-42/" });
    assert.doesNotMatch(JSON.stringify(lines[1]), /perator-password-42/, "percent-encoded, it is masked too");
  });

  it("writes nothing at warn", () => {
    const { lines, write } = capture("warn");
    write(record);
    assert.equal(lines.length, 0);
  });
});
