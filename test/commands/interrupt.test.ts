// Ctrl-C while a command waits: for the API (auth, refresh_token) or at a password prompt, the
// command ends at once with exit 130 and prints no export line.

import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { PassThrough } from "node:stream";
import { after, before, describe, it } from "node:test";
import { auth } from "../../src/commands/auth.js";
import { refreshToken } from "../../src/commands/refresh-token.js";
import type { Command } from "../../src/commands/types.js";
import { fakeIO } from "../support/io.js";

/** An API that takes every request and never answers; `arrived` resolves at each request. */
let api: http.Server;
let apiUrl: string;
let arrivals: Array<() => void> = [];
before(async () => {
  api = http.createServer(() => {
    for (const f of arrivals) f();
    arrivals = [];
  });
  await new Promise<void>((r) => api.listen(0, "127.0.0.1", r));
  apiUrl = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
});
after(async () => {
  api.closeAllConnections();
  await new Promise((r) => api.close(r));
});
const arrived = () => new Promise<void>((r) => arrivals.push(r));

describe("Ctrl-C while waiting for the API", () => {
  const rows: Array<[name: string, cmd: Command, argv: () => string[], env: () => NodeJS.ProcessEnv, says: RegExp]> = [
    [
      "auth",
      auth,
      () => ["/Compute-acme/ann", "-", "--api", apiUrl],
      () => ({}),
      /interrupted while waiting for the API; not logged in/,
    ],
    [
      "refresh_token",
      refreshToken,
      () => ["--api", apiUrl],
      () => ({ OPC_COOKIE: "opaque-token" }),
      /interrupted while waiting for the API; the token was not refreshed/,
    ],
  ];
  for (const [name, cmd, argv, env, says] of rows) {
    it(`${name} exits 130 at once, not when the API answers`, async () => {
      const f = fakeIO({ env: env(), stdin: ["pw\n"] });
      const waiting = arrived();
      const done = cmd(argv(), f.io);
      await waiting;
      f.abort();
      assert.equal(await done, 130);
      assert.match(f.err(), says);
      assert.equal(f.out(), "", "no export line");
    });
  }
});

describe("Ctrl-C at the password prompt", () => {
  it("on a terminal (the raw ^C byte) exits 130", async () => {
    const f = fakeIO({ env: { OPC_API: apiUrl } });
    const stdin = Object.assign(new PassThrough(), { isTTY: true, setRawMode: () => stdin });
    f.io.stdin = stdin;
    const done = auth(["/Compute-acme/ann", "-"], f.io);
    stdin.write("sec\u0003");
    assert.equal(await done, 130);
    assert.match(f.err(), /interrupted at the password prompt; not logged in/);
    assert.equal(f.out(), "");
  });

  it("on a pipe that never ends (SIGINT reaches the process) exits 130", async () => {
    const f = fakeIO({ env: { OPC_API: apiUrl } });
    f.io.stdin = new PassThrough();
    const done = auth(["/Compute-acme/ann", "-"], f.io);
    setImmediate(() => f.abort());
    assert.equal(await done, 130);
    assert.match(f.err(), /interrupted at the password prompt/);
  });
});
