// The one error vocabulary and its two mappings: codes to HTTP statuses, codes to exit codes.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { exitCodeOf } from "../../src/commands/types.js";
import { ConfigError, ProxyError, type ErrorCode } from "../../src/errors.js";
import { HTTP_STATUS } from "../../src/http/respond.js";

describe("exitCodeOf", () => {
  const rows: { name: string; err: unknown; exit: number }[] = [
    { name: "a ConfigError is bad usage", err: new ConfigError(["--listen: bad"]), exit: 2 },
    { name: "USAGE is bad usage", err: new ProxyError("USAGE", "no password was given on standard input"), exit: 2 },
    { name: "CONFIG_INVALID is bad usage", err: new ProxyError("CONFIG_INVALID", "HTTPS_PROXY: not a URL"), exit: 2 },
    { name: "LISTEN_FAILED is a runtime failure", err: new ProxyError("LISTEN_FAILED", "in use"), exit: 1 },
    { name: "PASSWORD_FILE is a runtime failure", err: new ProxyError("PASSWORD_FILE", "no such file"), exit: 1 },
    { name: "a plain Error is a runtime failure", err: new Error("boom"), exit: 1 },
    { name: "a thrown string is a runtime failure", err: "boom", exit: 1 },
  ];
  for (const row of rows) it(row.name, () => assert.equal(exitCodeOf(row.err), row.exit));
});

describe("HTTP_STATUS", () => {
  const rows: { code: ErrorCode; status: number }[] = [
    { code: "API_UNREACHABLE", status: 502 },
    { code: "API_TIMEOUT", status: 504 },
    { code: "NO_SESSION", status: 503 },
    { code: "SHUTTING_DOWN", status: 503 },
    { code: "INTERNAL", status: 500 },
  ];
  for (const row of rows) it(`${row.code} is ${row.status}`, () => assert.equal(HTTP_STATUS[row.code], row.status));

  it("maps every code to an error status", () => {
    for (const [code, status] of Object.entries(HTTP_STATUS)) {
      assert.ok(status >= 400 && status <= 599, `${code} → ${status}`);
    }
  });
});
