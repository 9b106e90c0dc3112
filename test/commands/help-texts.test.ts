// What --help says matches what the commands do: durations for --timeout, every endpoint of the
// listeners, and the simulator's kinds by reference to the README table (not a stale list).

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { simulate } from "../../src/commands/simulate.js";
import { SERVE_HELP } from "../../src/commands/serve-help.js";
import { WAIT_HELP } from "../../src/commands/wait.js";
import { fakeIO } from "../support/io.js";

describe("help texts", () => {
  const rows = [
    { name: "wait takes a duration", text: () => WAIT_HELP, has: ["--timeout DUR"], lacks: ["SECONDS"] },
    {
      name: "serve lists the status page and /-/events, on both listeners",
      text: () => SERVE_HELP,
      has: ["/-/events, and the", "status page at /-/", "and the status page (/-/, /-/events, /-/assets/*) here"],
      lacks: [],
    },
  ];
  for (const row of rows) {
    it(row.name, () => {
      for (const s of row.has) assert.ok(row.text().includes(s), `lacks ${s}`);
      for (const s of row.lacks) assert.ok(!row.text().includes(s), `still says ${s}`);
    });
  }

  it("simulate points at the README's kinds table", async () => {
    const f = fakeIO();
    await simulate(["--help"], f.io);
    assert.match(f.out(), /README's "Simulated kinds" table/);
    assert.ok(!f.out().includes("sshkey/instance/shape/imagelist resources"));
  });
});
