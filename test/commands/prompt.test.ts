// An empty answer at the password prompt (`-` read from a closed standard input) is bad usage, and
// the message names where the `-` came from, so the user knows what to change.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { auth } from "../../src/commands/auth.js";
import { serve } from "../../src/commands/serve.js";
import type { Command } from "../../src/commands/types.js";
import { fakeIO } from "../support/io.js";

const API = "http://127.0.0.1:1";
const USER = "/Compute-acme/ann";

const rows: { name: string; command: Command; argv: string[]; env: NodeJS.ProcessEnv; names: RegExp }[] = [
  {
    name: "serve --password-file -",
    command: serve,
    argv: ["--api", API, "--user", USER, "--password-file", "-", "--listen", "127.0.0.1:0"],
    env: {},
    names: /\(--password-file is -\)/,
  },
  {
    name: "serve with OPC_PASSWORD_FILE=-",
    command: serve,
    argv: ["--api", API, "--user", USER, "--listen", "127.0.0.1:0"],
    env: { OPC_PASSWORD_FILE: "-" },
    names: /\(OPC_PASSWORD_FILE is -\)/,
  },
  { name: "auth USER -", command: auth, argv: [USER, "-"], env: { OPC_API: API }, names: /\(PASSWORD_FILE is -\)/ },
];

describe("an empty standard input at the password prompt", () => {
  for (const row of rows) {
    it(`${row.name}: exits 2 naming where the - came from`, async () => {
      const f = fakeIO({ env: row.env });
      assert.equal(await row.command(row.argv, f.io), 2, f.err());
      assert.match(f.err(), /no password was given on standard input/);
      assert.match(f.err(), row.names);
    });
  }
});
