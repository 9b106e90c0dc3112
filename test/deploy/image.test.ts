// The image as users name and probe it: one name and tag in README, compose and the Kubernetes
// manifest, and a HEALTHCHECK that checks the command the container runs (serve or simulate).

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, it } from "node:test";
import { parse, parseAllDocuments } from "yaml";
import { healthWaitArgv, PROBE_TIMEOUT } from "../../src/commands/container-health.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const read = (path: string): string => readFileSync(join(ROOT, path), "utf8");
const VERSION = (JSON.parse(read("package.json")) as { version: string }).version;
const IMAGE = `opc-auth-proxy:${VERSION}`;

describe("the image's name and tag", () => {
  it("is opc-auth-proxy:<package version> in every docker build and run of the README and the Dockerfile", () => {
    for (const file of ["README.md", "Dockerfile"]) {
      const uses = [...read(file).matchAll(/docker (?:build -t|run [^\n]*?) (opc-auth-proxy\S*)/g)].map((m) => m[1]);
      assert.ok(uses.length > 0, `${file} shows how to build or run the image`);
      for (const u of uses) assert.equal(u, IMAGE, `${file}: ${u}`);
    }
  });

  it("is the same in compose and the Kubernetes manifest", () => {
    const compose = parse(read("docker/compose.yaml")) as { services: Record<string, { image?: string }> };
    const ours = Object.values(compose.services)
      .map((s) => s.image)
      .filter((i) => i?.startsWith("opc-auth-proxy"));
    assert.ok(ours.length > 0);
    for (const i of ours) assert.equal(i, IMAGE, "compose");
    const images = parseAllDocuments(read("docker/kubernetes/sidecar.yaml"))
      .flatMap((d) => JSON.stringify(d.toJS()).match(/"image":"[^"]*opc-auth-proxy[^"]*"/g) ?? [])
      .map((m) => m.slice('"image":"'.length, -1));
    assert.ok(images.length > 0);
    for (const i of images) assert.equal(i.split("/").at(-1), IMAGE, "kubernetes");
  });
});

describe("the image's HEALTHCHECK command", () => {
  const rows: Array<[name: string, main: string[], wait: string[] | undefined]> = [
    ["the default command (serve)", ["serve"], ["wait", "--timeout", PROBE_TIMEOUT]],
    ["serve with only flags", ["--allow-host", "opc-proxy"], ["wait", "--timeout", PROBE_TIMEOUT]],
    [
      "simulate on all interfaces",
      ["simulate", "--listen", "0.0.0.0:8081"],
      ["wait", "--url", "http://127.0.0.1:8081/-/sim/", "--timeout", PROBE_TIMEOUT],
    ],
    [
      "simulate on its default listener",
      ["simulate"],
      ["wait", "--url", "http://127.0.0.1:8081/-/sim/", "--timeout", PROBE_TIMEOUT],
    ],
    [
      "simulate with --listen=",
      ["simulate", "--listen=[::]:9000"],
      ["wait", "--url", "http://[::1]:9000/-/sim/", "--timeout", PROBE_TIMEOUT],
    ],
    ["simulate on a unix socket: nothing to probe", ["simulate", "--listen", "unix:/run/sim.sock"], undefined],
    ["a one-shot command: nothing to probe", ["auth", "--help"], undefined],
  ];
  for (const [name, main, wait] of rows) {
    it(name, () => assert.deepEqual(healthWaitArgv(main), wait));
  }
});
