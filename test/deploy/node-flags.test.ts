// Checks that every place the project starts Node for users passes the V8 memory flag (issue 12:
// a sidecar's RSS), on the node command line itself, since NODE_OPTIONS refuses it.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, it } from "node:test";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const read = (path: string): string => readFileSync(join(ROOT, path), "utf8");

/** The flag: a 1 MiB young generation and a compacted old one (README "Memory" has the figures). */
const FLAG = "--optimize-for-size";

/** The node options before the script in an argv that runs `script` with node. */
function nodeFlags(argv: string[], script: RegExp, where: string): string[] {
  const node = argv.findIndex((a) => a === "node" || a.endsWith("/node"));
  const js = argv.findIndex((a) => script.test(a));
  assert.ok(node >= 0 && js > node, `${where}: runs node with the script: ${argv.join(" ")}`);
  return argv.slice(node + 1, js);
}

const ENTRY_POINTS: { name: string; flags: () => string[] }[] = [
  {
    name: "npm start (package.json scripts.start)",
    flags: () => {
      const pkg = JSON.parse(read("package.json")) as { scripts: Record<string, string> };
      return nodeFlags(pkg.scripts.start!.split(/\s+/), /^bin\/opc-auth-proxy\.js$/, "scripts.start");
    },
  },
  {
    name: "the image's ENTRYPOINT (compose and Kubernetes keep it)",
    flags: () => {
      const line = read("Dockerfile")
        .split("\n")
        .filter((l) => /^ENTRYPOINT\s/.test(l))
        .at(-1);
      assert.ok(line, "Dockerfile has an ENTRYPOINT");
      const argv = JSON.parse(line.replace(/^ENTRYPOINT\s+/, "")) as string[];
      return nodeFlags(argv, /\/bin\/opc-auth-proxy\.js$/, "ENTRYPOINT");
    },
  },
  {
    name: "the systemd unit's ExecStart",
    flags: () => {
      const line = read("docker/systemd/opc-auth-proxy.service")
        .split("\n")
        .find((l) => l.startsWith("ExecStart="));
      assert.ok(line, "the unit has an ExecStart");
      return nodeFlags(line.slice("ExecStart=".length).split(/\s+/), /\/opc-auth-proxy$/, "ExecStart");
    },
  },
];

describe("node flags where the project starts the proxy", () => {
  for (const entry of ENTRY_POINTS) {
    it(`${entry.name} passes ${FLAG} to node`, () => {
      assert.ok(entry.flags().includes(FLAG), `${entry.name}: node ${FLAG} …`);
    });
  }

  it(`this node accepts ${FLAG} on its command line`, () => {
    const run = spawnSync(process.execPath, [FLAG, "-e", "0"], { env: { PATH: process.env.PATH }, timeout: 20_000 });
    assert.equal(run.status, 0, run.stderr.toString());
  });

  it("keeps it out of NODE_OPTIONS, which Node 20 refuses it in, in every file that sets the environment", () => {
    for (const file of ["Dockerfile", "docker/compose.yaml", "docker/kubernetes/sidecar.yaml"])
      assert.ok(!new RegExp(`NODE_OPTIONS.*${FLAG}`).test(read(file)), `${file}: NODE_OPTIONS=${FLAG} stops node`);
  });
});
