// Covers src/config/options.ts: parseOptions reads argv token by token and reports every problem,
// each naming its flag or argument, instead of stopping at the first as parseArgs' strict mode does.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseOptions, type OptionTable } from "../../src/config/options.js";

const TABLE: OptionTable = {
  "token-ttl": { type: "string" },
  listen: { type: "string", env: ["LISTEN"] },
  user: { type: "string", multiple: true },
  "password-file": { type: "string" },
  help: { type: "boolean", short: "h" },
};

describe("parseOptions reports every problem at once", () => {
  const rows: Array<{ name: string; argv: string[]; expect: RegExp[] }> = [
    {
      name: "a dash value and an unknown flag (strict parseArgs stopped at the first)",
      argv: ["--token-ttl", "-5", "--bogus"],
      expect: [/^--token-ttl needs a value; .*--token-ttl=-5/, /^Unknown option '--bogus'/],
    },
    {
      name: "a flag where a value should be: both flags missing values",
      argv: ["--token-ttl", "--listen"],
      expect: [/^--token-ttl needs a value/, /^--listen needs a value/],
    },
    {
      name: "a missing value does not swallow the unknown flag after it",
      argv: ["--listen", "--nope", "--help=yes", "-x", "stray", "other"],
      expect: [
        /^--listen needs a value/,
        /^Unknown option '--nope'/,
        /^--help does not take a value/,
        /^Unknown option '-x'/,
        /^unexpected argument "stray"/,
        /^unexpected argument "other"/,
      ],
    },
  ];
  for (const row of rows) {
    it(row.name, () => {
      const { problems } = parseOptions(row.argv, TABLE, {});
      assert.equal(problems.length, row.expect.length, problems.join("\n"));
      row.expect.forEach((re, i) => assert.match(problems[i]!, re));
    });
  }

  it("reads good values, repeats, '-' as a value, = forms, and flags before variables", () => {
    const argv = ["--user", "a", "--user=b", "--password-file", "-", "--token-ttl=-5", "-h"];
    const p = parseOptions(argv, TABLE, { LISTEN: "127.0.0.1:9" });
    assert.deepEqual(p.problems, []);
    assert.deepEqual(
      p.getAll("user").map((u) => u.value),
      ["a", "b"],
    );
    assert.deepEqual(p.get("password-file"), { value: "-", from: "--password-file" });
    assert.deepEqual(p.get("token-ttl"), { value: "-5", from: "--token-ttl" });
    assert.deepEqual(p.get("listen"), { value: "127.0.0.1:9", from: "LISTEN" });
    assert.equal(p.flag("help"), true);
  });

  it("takes arguments after -- as positionals, when allowed", () => {
    const p = parseOptions(["--", "--listen"], TABLE, {}, true);
    assert.deepEqual(p.problems, []);
    assert.deepEqual(p.positionals, ["--listen"]);
  });
});
