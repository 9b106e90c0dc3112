// Static checks of the container files (Dockerfile, docker/compose.yaml, docker/kubernetes/sidecar.yaml):
// nothing is built or run. Every opc-auth-proxy command line goes through the product's own option
// parser, every OPC_* variable is one the product reads, and the security promises of SECURITY.md hold:
// loopback or an internal network, no port published beyond loopback, Host names allowed, non-root,
// read-only, a password file only its owner can read, a grace period longer than the drain.

import assert from "node:assert/strict";
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, it } from "node:test";
import { parse, parseAllDocuments } from "yaml";
import { STRING_FLAGS as SIMULATE_STRING_FLAGS } from "../../src/commands/simulate.js";
import { WAIT_OPTIONS, probeTarget } from "../../src/commands/wait.js";
import { healthWaitArgv } from "../../src/commands/container-health.js";
import { DEFAULT_LISTEN, SERVE_OPTIONS } from "../../src/config/serve.js";
import { isLoopbackHost, parseListen } from "../../src/net/addresses.js";
import { parseDuration, parseOptions, type OptionTable, type Parsed } from "../../src/config/options.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const read = (path: string): string => readFileSync(join(ROOT, path), "utf8");
const PACKAGE = JSON.parse(read("package.json")) as { version: string };

/** The documented drain default (README: `--drain-timeout`, 20s). */
const DEFAULT_DRAIN_MS = 20_000;
const IMAGE = "opc-auth-proxy";

const SIMULATE_OPTIONS: OptionTable = {
  ...Object.fromEntries(SIMULATE_STRING_FLAGS.map((f) => [f, { type: "string" as const, multiple: f === "user" }])),
  help: { type: "boolean", short: "h" },
};
const TABLES: Record<string, OptionTable> = { serve: SERVE_OPTIONS, simulate: SIMULATE_OPTIONS, wait: WAIT_OPTIONS };

/** Variables the product reads: every serve option's, plus the ones config and the commands read directly. */
const KNOWN_ENV = new Set([
  ...Object.values(SERVE_OPTIONS as OptionTable).flatMap((o) => o.env ?? []),
  "OPC_PASSWORD",
  "OPC_USERNAME",
  "OPC_IDENTITY_DOMAIN",
  "OPC_COOKIE",
  "OPC_COMPUTE_COOKIE",
]);

type Env = Record<string, string>;

/** Computes on first use, inside a test, so a broken file fails that test with its message. */
function lazy<T>(f: () => T): () => T {
  let done = false;
  let value: T;
  return () => {
    if (!done) {
      value = f();
      done = true;
    }
    return value;
  };
}

/** The image's default command (the last CMD of the Dockerfile). */
const imageCmd = lazy(() =>
  execForm(
    dockerfile()
      .filter((i) => i.op === "CMD")
      .at(-1)!.text,
    "CMD",
  ),
);

/** One opc-auth-proxy command line found in a file: where, the subcommand, its own arguments, parsed. */
interface CommandLine {
  where: string;
  sub: string;
  args: string[];
  parsed: Parsed;
}

/** Parses argv as cli.ts dispatches it, with the subcommand's option table; fails on any problem. */
function commandLine(argv: readonly string[], env: Env, where: string): CommandLine {
  const [first, ...rest] = argv;
  const explicit = first !== undefined && !first.startsWith("-");
  const sub = explicit ? first.replace(/-/g, "_") : "serve";
  const args = explicit ? rest : [...argv];
  const table = TABLES[sub];
  assert.ok(
    table,
    `${where}: "opc-auth-proxy ${argv.join(" ")}": no option table for subcommand "${sub}" (known: ${Object.keys(TABLES).join(", ")})`,
  );
  const parsed = parseOptions(args, table, env);
  assert.deepEqual(
    parsed.problems,
    [],
    `${where}: "opc-auth-proxy ${argv.join(" ")}" is not a valid ${sub} command line`,
  );
  for (const name of ["timeout", "drain-timeout", "upstream-timeout"]) {
    const v: { value: string; from: string } | undefined = name in table ? parsed.get(name) : undefined;
    if (v) assert.equal(durationProblems(v.value), undefined, `${where}: ${v.from} "${v.value}" is not a duration`);
  }
  const listen = sub !== "wait" ? parsed.get("listen") : undefined;
  if (listen)
    assert.equal(
      typeof parseListen(listen.value),
      "object",
      `${where}: ${listen.from} "${listen.value}" is not a listen address`,
    );
  return { where, sub, args, parsed };
}

function durationProblems(text: string): string | undefined {
  const problems: string[] = [];
  parseDuration(text, "x", problems);
  return problems[0];
}

/** --shutdown-delay of a serve command line (flag or variable), in ms; 0 when unset. */
function shutdownDelayMs(c: CommandLine): number {
  const d = c.parsed.get("shutdown-delay");
  if (!d) return 0;
  const problems: string[] = [];
  const ms = parseDuration(d.value, `${c.where} ${d.from}`, problems, { allowZero: true });
  assert.deepEqual(problems, [], `${c.where}: ${d.from} "${d.value}" is not a duration`);
  return ms!;
}

function durationMs(text: string, where: string): number {
  const problems: string[] = [];
  const ms = parseDuration(text, where, problems);
  assert.deepEqual(problems, [], `${where}: "${text}" is not a duration`);
  return ms!;
}

function checkEnvNames(env: Env, where: string): void {
  for (const name of Object.keys(env)) {
    if (name.startsWith("OPC_")) {
      assert.ok(
        KNOWN_ENV.has(name),
        `${where}: ${name} is not a variable opc-auth-proxy reads (known: ${[...KNOWN_ENV].sort().join(", ")})`,
      );
    }
  }
}

/** The address a serve command line listens on: flag, then OPC_PROXY_LISTEN, then the default. */
function listenOf(c: CommandLine): string {
  return c.parsed.get("listen")?.value ?? DEFAULT_LISTEN;
}

/** Where `wait` would probe, given its command line and the container's environment (as wait.ts does). */
function waitTarget(c: CommandLine, env: Env): URL {
  const problems: string[] = [];
  const url = c.parsed.get("url");
  const t = url
    ? probeTarget(url.value, "--url", problems)
    : probeTarget(env.OPC_PROXY_LISTEN || DEFAULT_LISTEN, "listen", problems);
  assert.deepEqual(problems, [], `${c.where}: wait target`);
  assert.equal(t?.kind, "tcp", `${c.where}: expected a TCP wait target`);
  return (t as { kind: "tcp"; url: URL }).url;
}

function tcpListen(text: string, where: string): { host: string; port: number } {
  const l = parseListen(text);
  assert.ok(typeof l === "object" && l.kind === "tcp", `${where}: "${text}" is not a TCP listen address`);
  return l as { host: string; port: number };
}

/** Seconds of a `--timeout` given to wait (its default is 30s). */
function waitTimeoutSeconds(c: CommandLine): number {
  const t = c.parsed.get("timeout");
  return (t ? durationMs(t.value, `${c.where} --timeout`) : 30_000) / 1000;
}

// ---------------------------------------------------------------------------------------------
// Dockerfile

interface Instruction {
  op: string;
  text: string;
  stage: number;
}

function dockerfile(): Instruction[] {
  const lines = read("Dockerfile").split("\n");
  const joined: string[] = [];
  let cur = "";
  for (const raw of lines) {
    const line = raw.trim();
    if (cur === "" && (line === "" || line.startsWith("#"))) continue;
    if (line.startsWith("#")) continue; // a comment inside a continued instruction
    if (line.endsWith("\\")) cur += line.slice(0, -1) + " ";
    else {
      joined.push(cur + line);
      cur = "";
    }
  }
  const args: Env = {};
  let stage = -1;
  return joined.map((l) => {
    const m = /^(\S+)\s*(.*)$/.exec(l)!;
    const op = m[1]!.toUpperCase();
    let text = m[2]!.replace(
      /\$\{(\w+)\}|\$(\w+)/g,
      (all, a: string | undefined, b: string | undefined) => args[(a ?? b)!] ?? all,
    );
    if (op === "ARG") {
      const [k, v] = text.split("=");
      if (v !== undefined) args[k!] = v;
    }
    if (op === "FROM") {
      stage++;
      text = text.trim();
    }
    return { op, text, stage };
  });
}

/** Exec form (JSON array) of CMD/ENTRYPOINT/HEALTHCHECK CMD, or a failure naming the instruction. */
function execForm(text: string, where: string): string[] {
  assert.ok(
    text.trim().startsWith("["),
    `${where} must use the exec form (a JSON array), so signals reach node: ${text}`,
  );
  return JSON.parse(text) as string[];
}

describe("Dockerfile", () => {
  const ins = lazy(dockerfile);
  const last = () => Math.max(...ins().map((i) => i.stage));
  const finalStage = lazy(() => ins().filter((i) => i.stage === last()));
  const buildStages = lazy(() => ins().filter((i) => i.stage >= 0 && i.stage < last()));
  const one = (op: string): Instruction | undefined =>
    finalStage()
      .filter((i) => i.op === op)
      .at(-1);

  it("is multi-stage on the current LTS, Node 24, Debian slim, tag pinned to a patch release", () => {
    const froms = ins().filter((i) => i.op === "FROM");
    assert.ok(froms.length >= 2, "expected a build stage and a runtime stage");
    const stages = new Set(froms.map((f) => /\bAS\s+(\S+)/i.exec(f.text)?.[1]?.toLowerCase()).filter(Boolean));
    for (const f of froms) {
      const image = f.text.split(/\s+/)[0]!;
      if (stages.has(image.toLowerCase())) continue;
      assert.match(
        image,
        /^(docker\.io\/(library\/)?)?node:24\.\d+\.\d+-(bookworm|trixie)-slim(@sha256:[0-9a-f]{64})?$/,
        `FROM ${image}: use node:24.X.Y-<variant>-slim (the current LTS, tag pinned, no latest)`,
      );
    }
  });

  it("builds with npm ci + npm run build, and ships only production dependencies", () => {
    const runs = (list: Instruction[]) =>
      list
        .filter((i) => i.op === "RUN")
        .map((i) => i.text)
        .join("\n");
    assert.match(runs(buildStages()), /\bnpm ci\b/, "build stage: npm ci");
    assert.match(runs(buildStages()), /\bnpm run build\b/, "build stage: npm run build");
    assert.match(runs(finalStage()), /\bnpm ci\b[^\n]*--omit=dev/, "runtime stage: npm ci --omit=dev");
    const copies = finalStage()
      .filter((i) => i.op === "COPY")
      .map((i) => i.text);
    assert.ok(
      copies.some((c) => /--from=\S+\s+\S*dist\/?\s/.test(c)),
      "runtime stage copies dist/ from the build stage",
    );
    assert.ok(
      copies.some((c) => /^bin\/?\s+(\.\/bin|\/app\/bin)\/?$/.test(c)),
      "runtime stage copies bin/ to /app/bin (the ENTRYPOINT runs /app/bin/opc-auth-proxy.js)",
    );
    assert.ok(
      copies.some((c) => c.includes("package.json")),
      "runtime stage has package.json (version.ts reads it)",
    );
    assert.ok(
      !copies.some((c) => /^(src|test|\.)\s/.test(c)),
      "runtime stage must not copy sources or the whole context",
    );
  });

  it("runs as the numeric non-root user, with NODE_ENV=production and SIGTERM", () => {
    const user = one("USER")?.text;
    assert.ok(user, "runtime stage needs USER");
    assert.match(
      user,
      /^[1-9]\d*(:\d+)?$/,
      `USER ${user}: numeric and non-zero, so Kubernetes runAsNonRoot can check it`,
    );
    assert.equal(user, "1000:1000", "the node image's node user (the manifests assume uid 1000)");
    assert.ok(
      finalStage().some((i) => i.op === "ENV" && /\bNODE_ENV=production\b/.test(i.text)),
      "ENV NODE_ENV=production",
    );
    assert.equal(one("STOPSIGNAL")?.text, "SIGTERM");
    checkEnvNames(
      Object.fromEntries(
        finalStage()
          .filter((i) => i.op === "ENV")
          .flatMap((i) => i.text.split(/\s+/).map((kv) => kv.split("=") as [string, string])),
      ),
      "Dockerfile ENV",
    );
  });

  it("starts bin/opc-auth-proxy.js, puts opc-auth-proxy on PATH, and its default keeps the loopback listener", () => {
    const entry = execForm(one("ENTRYPOINT")!.text, "ENTRYPOINT");
    const js = entry.find((a) => a.endsWith(".js")) ?? "";
    assert.ok(js.startsWith("/app/"), `ENTRYPOINT ${JSON.stringify(entry)}: run the JS file under /app`);
    assert.equal(finalStage().find((i) => i.op === "WORKDIR")?.text, "/app");
    const file = js.slice("/app/".length);
    assert.ok(existsSync(join(ROOT, file)), `ENTRYPOINT runs ${js}, but ${file} is not in the repository`);
    assert.ok(
      (statSync(join(ROOT, file)).mode & 0o111) !== 0,
      `${file} must be executable (it is symlinked onto PATH)`,
    );
    assert.match(
      finalStage()
        .filter((i) => i.op === "RUN")
        .map((i) => i.text)
        .join("\n"),
      /ln -s \/app\/bin\/opc-auth-proxy\.js \/usr\/(local\/)?bin\/opc-auth-proxy\b/,
      "symlink opc-auth-proxy onto PATH: healthchecks and probes call it by name",
    );
    const cmd = commandLine(execForm(one("CMD")!.text, "CMD"), {}, "Dockerfile CMD");
    assert.equal(cmd.sub, "serve");
    assert.ok(
      !finalStage().some((i) => i.op === "ENV" && /OPC_PROXY_LISTEN/.test(i.text)),
      "the image keeps the product default listener; compose sets OPC_PROXY_LISTEN",
    );
    assert.ok(
      isLoopbackHost(tcpListen(listenOf(cmd), "Dockerfile CMD").host),
      "the image's default listener is loopback",
    );
  });

  it("has a HEALTHCHECK that checks what the container runs, with a timeout above wait's", () => {
    const hc = one("HEALTHCHECK")?.text;
    assert.ok(hc, "HEALTHCHECK missing");
    const m = /^(.*?)\bCMD\s+(\[.*\])$/.exec(hc);
    assert.ok(m, `HEALTHCHECK ${hc}: use the exec form CMD [...]`);
    const argv = execForm(m[2]!, "HEALTHCHECK CMD");
    assert.deepEqual(argv, ["node", "/app/bin/container-healthcheck.js"]);
    assert.ok(existsSync(join(ROOT, "bin/container-healthcheck.js")), "bin/container-healthcheck.js is shipped");
    // The serve check is `opc-auth-proxy wait …`: a valid wait command line with a shorter timeout.
    const c = commandLine(healthWaitArgv(imageCmd())!, {}, "Dockerfile HEALTHCHECK (serve)");
    assert.equal(c.sub, "wait");
    const timeout = /--timeout=(\S+)/.exec(m[1]!)?.[1] ?? "30s";
    assert.ok(
      durationMs(timeout, "HEALTHCHECK --timeout") / 1000 > waitTimeoutSeconds(c),
      `HEALTHCHECK --timeout=${timeout} must exceed wait --timeout (Node needs time to start)`,
    );
  });

  it("labels the image, at the package's version", () => {
    const labels = finalStage()
      .filter((i) => i.op === "LABEL")
      .map((i) => i.text)
      .join(" ");
    for (const k of ["title", "description", "licenses", "version"])
      assert.match(labels, new RegExp(`org\\.opencontainers\\.image\\.${k}=`), `LABEL org.opencontainers.image.${k}`);
    assert.match(
      labels,
      new RegExp(`org\\.opencontainers\\.image\\.version="${PACKAGE.version.replace(/\./g, "\\.")}"`),
      "label version = package.json version (ARG VERSION's default)",
    );
    const base = ins()
      .filter((i) => i.op === "FROM")
      .at(-1)!
      .text.split(/\s+/)[0]!;
    assert.ok(
      labels.includes(`org.opencontainers.image.base.name="docker.io/library/${base}"`),
      `label base.name = the runtime stage's FROM, ${base}`,
    );
    // Derived from the build arguments, never typed twice: a --build-arg cannot leave them stale.
    assert.match(read("Dockerfile"), /org\.opencontainers\.image\.version="\$\{VERSION\}"/);
    assert.match(read("Dockerfile"), /org\.opencontainers\.image\.base\.name="docker\.io\/library\/\$\{NODE_IMAGE\}"/);
  });

  it("keeps dependencies, build output, git and demo secrets out of the build context", () => {
    const ignored = read(".dockerignore")
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith("#"));
    for (const p of ["node_modules", "dist", ".git", ".bench", "docker"])
      assert.ok(ignored.includes(p), `.dockerignore must list ${p}`);
  });
});

// ---------------------------------------------------------------------------------------------
// docker compose

/** Compose interpolation with an empty environment: ${VAR:-default}, ${VAR-default}, ${VAR}, $$. */
function interpolate(v: unknown): unknown {
  if (typeof v === "string") {
    return v.replace(/\$\$|\$\{(\w+)(?::?-([^}]*))?\}/g, (all, _name: string | undefined, def: string | undefined) =>
      all === "$$" ? "$" : (def ?? ""),
    );
  }
  if (Array.isArray(v)) return v.map(interpolate);
  if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, interpolate(x)]));
  return v;
}

interface Service {
  image?: string;
  build?: unknown;
  pull_policy?: string;
  user?: string;
  command?: string | string[];
  entrypoint?: string | string[];
  environment?: Record<string, string | number | null> | string[];
  secrets?: Array<string | { source: string; target?: string }>;
  networks?: string[] | Record<string, unknown>;
  ports?: Array<string | number | { published?: unknown; host_ip?: string }>;
  healthcheck?: { test?: string | string[]; timeout?: string; disable?: boolean };
  depends_on?: string[] | Record<string, { condition?: string }>;
  stop_grace_period?: string;
  read_only?: boolean;
  cap_drop?: string[];
}

interface Compose {
  services: Record<string, Service>;
  secrets?: Record<string, { file?: string }>;
  networks?: Record<string, { internal?: boolean } | null>;
}

const envOf = (s: Service): Env => {
  const e = s.environment ?? {};
  if (Array.isArray(e)) return Object.fromEntries(e.map((kv) => [kv.split("=")[0]!, kv.split("=").slice(1).join("=")]));
  return Object.fromEntries(Object.entries(e).map(([k, v]) => [k, v === null ? "" : String(v)]));
};
const listOf = (v: string | string[] | undefined): string[] | undefined =>
  typeof v === "string" ? v.trim().split(/\s+/) : v;
const networksOf = (s: Service): string[] =>
  Array.isArray(s.networks) ? s.networks : Object.keys(s.networks ?? { default: null });
const isOurImage = (image: string | undefined): boolean =>
  image !== undefined && (image === IMAGE || image.startsWith(`${IMAGE}:`));

describe("docker/compose.yaml", () => {
  const load = lazy(() => interpolate(parse(read("docker/compose.yaml"))) as Compose);
  const services = () => Object.entries(load().services);

  /** The service's main command line (the image's CMD when it sets none), if it runs opc-auth-proxy. */
  const mainCommand = (name: string, s: Service): CommandLine | undefined => {
    if (!isOurImage(s.image)) return undefined;
    assert.equal(s.entrypoint, undefined, `${name}: keep the image's ENTRYPOINT`);
    return commandLine(listOf(s.command) ?? imageCmd(), envOf(s), `compose service ${name}`);
  };
  const healthCommand = (name: string, s: Service): CommandLine | undefined => {
    const test = s.healthcheck?.test;
    if (!Array.isArray(test) || test[1] !== "opc-auth-proxy") return undefined;
    assert.equal(
      test[0],
      "CMD",
      `${name}: healthcheck test must be ["CMD", "opc-auth-proxy", ...] (no shell in between)`,
    );
    return commandLine(test.slice(2), envOf(s), `compose service ${name} healthcheck`);
  };

  const proxies = () => services().filter(([n, s]) => mainCommand(n, s)?.sub === "serve");

  it("has the simulator, the proxy and a client, the proxy built from this repository as image opc-auth-proxy", () => {
    assert.deepEqual(Object.keys(load().services).sort(), ["opc-client", "opc-proxy", "opc-sim"]);
    assert.equal(mainCommand("opc-sim", load().services["opc-sim"]!)?.sub, "simulate");
    assert.deepEqual(
      proxies().map(([n]) => n),
      ["opc-proxy"],
    );
    const proxy = load().services["opc-proxy"]!;
    assert.equal(proxy.image, `${IMAGE}:${PACKAGE.version}`, "the image name and tag used everywhere");
    assert.ok(proxy.build, "opc-proxy builds the image from this repository");
    for (const [name, s] of services()) {
      if (isOurImage(s.image) && !s.build)
        assert.equal(
          s.pull_policy,
          "never",
          `${name}: the image is built by opc-proxy; never pull a registry image of that name`,
        );
      if (!isOurImage(s.image)) assert.match(s.image ?? "", /:[\w.-]+$/, `${name}: pin the image by version`);
      assert.doesNotMatch(s.image ?? "", /:latest$/, `${name}: no latest`);
    }
  });

  it("uses only real flags and variables in every opc-auth-proxy command line", () => {
    for (const [name, s] of services()) {
      checkEnvNames(envOf(s), `compose service ${name}`);
      mainCommand(name, s);
      healthCommand(name, s);
    }
  });

  it("lets clients reach the proxy by its service name: --allow-host names it", () => {
    for (const [name, s] of proxies()) {
      const c = mainCommand(name, s)!;
      const allowed = c.parsed.getAll("allow-host").map((h) => h.value);
      const listen = tcpListen(listenOf(c), name);
      const url = new RegExp(`https?://${name.replace(/[-.]/g, "\\$&")}(?::(\\d+))?`, "g");
      let uses = 0;
      for (const [other, o] of services()) {
        for (const m of JSON.stringify(o).matchAll(url)) {
          uses++;
          assert.ok(
            allowed.includes(name),
            `${other} calls ${m[0]}, but ${name} does not allow Host "${name}": add --allow-host ${name}`,
          );
          assert.equal(
            Number(m[1] ?? 80),
            listen.port,
            `${other} calls ${m[0]}, but ${name} listens on port ${listen.port}`,
          );
        }
      }
      assert.ok(uses > 0, `nothing calls ${name} by name`);
      assert.ok(
        !isLoopbackHost(listen.host),
        `${name} must listen on the compose network (other containers connect), not ${listen.host}`,
      );
    }
  });

  it("publishes no port beyond loopback, and none for the proxy (SECURITY.md)", () => {
    for (const [name, s] of services()) {
      for (const p of s.ports ?? []) {
        const hostIp = typeof p === "object" ? p.host_ip : /^(\[[^\]]+\]|[^:]+):[^:]+:[^:]+$/.exec(String(p))?.[1];
        assert.ok(
          hostIp && isLoopbackHost(hostIp.replace(/^\[|\]$/g, "")),
          `${name} publishes ${JSON.stringify(p)} on every interface; bind it to 127.0.0.1 ("127.0.0.1:8080:8080")`,
        );
      }
    }
    for (const [name, s] of proxies())
      assert.equal(
        s.ports,
        undefined,
        `${name}: never publish the proxy's port; every client of it acts as the Oracle user`,
      );
  });

  it("keeps the proxy and its clients on internal networks of their own", () => {
    for (const [name, net] of Object.entries(load().networks ?? {}))
      assert.equal(net?.internal, true, `network ${name} should be internal: true for the demo`);
    for (const [name, s] of services()) {
      assert.ok(
        !networksOf(s).includes("default"),
        `${name}: name its networks; the default network would put every service together`,
      );
    }
  });

  it("gives the password as a file secret owned by the container's user, never as OPC_PASSWORD", () => {
    const ignore = read("docker/secrets/.gitignore")
      .split("\n")
      .map((l) => l.trim());
    for (const [name, s] of services()) {
      const c = mainCommand(name, s);
      if (!c) continue;
      assert.equal(envOf(s).OPC_PASSWORD, undefined, `${name}: use a password file, not OPC_PASSWORD`);
      const file = c.parsed.get("password-file")?.value;
      if (!file) continue;
      const m = /^\/run\/secrets\/([\w.-]+)$/.exec(file);
      assert.ok(m, `${name}: the password file ${file} should be a compose secret under /run/secrets/`);
      const secret = m[1]!;
      assert.ok(
        (s.secrets ?? []).some((x) => (typeof x === "string" ? x : x.source) === secret),
        `${name} reads ${file} but does not list secret ${secret}`,
      );
      const source = load().secrets?.[secret]?.file ?? "";
      assert.ok(
        source.startsWith("./secrets/"),
        `secret ${secret} should come from docker/secrets/ (git-ignored), not ${source}`,
      );
      assert.ok(
        ignore.includes("*") || ignore.includes(source.slice("./secrets/".length)),
        `docker/secrets/.gitignore must ignore ${source}`,
      );
      // File secrets are bind mounts: host mode and owner. Mode 600 works only for the file's owner.
      assert.equal(
        s.user,
        "1000:1000",
        `${name}: run as \${OPC_UID:-1000}:\${OPC_GID:-1000}, the owner of the mode-600 secret file`,
      );
      assert.equal(s.read_only, true, `${name}: read_only: true`);
      assert.ok(s.cap_drop?.includes("ALL"), `${name}: cap_drop: [ALL]`);
    }
  });

  it("checks health with `wait` on the address each service listens on, and the client waits for it", () => {
    const client = load().services["opc-client"]!;
    const dep = Array.isArray(client.depends_on) ? undefined : client.depends_on?.["opc-proxy"];
    assert.equal(dep?.condition, "service_healthy", "opc-client: depends_on opc-proxy with condition service_healthy");
    for (const [name, s] of services()) {
      const main = mainCommand(name, s);
      if (!main) continue;
      const hc = healthCommand(name, s);
      assert.ok(
        hc && hc.sub === "wait",
        `${name}: healthcheck must run opc-auth-proxy wait (the image's own check probes the proxy's port, not this service's)`,
      );
      const target = waitTarget(hc, envOf(s));
      const listen = tcpListen(listenOf(main), name);
      assert.equal(
        Number(target.port),
        listen.port,
        `${name}: healthcheck probes ${target.origin} but the service listens on ${listenOf(main)}`,
      );
      if (main.sub === "serve") assert.equal(target.pathname, "/-/readyz", `${name}: healthy means ready (/-/readyz)`);
      const timeout = durationMs(s.healthcheck?.timeout ?? "30s", `${name} healthcheck timeout`) / 1000;
      assert.ok(
        timeout > waitTimeoutSeconds(hc),
        `${name}: healthcheck timeout ${timeout}s must exceed wait --timeout`,
      );
    }
    for (const [name, s] of proxies()) {
      const drain = mainCommand(name, s)!.parsed.get("drain-timeout");
      const drainMs =
        (drain ? durationMs(drain.value, `${name} ${drain.from}`) : DEFAULT_DRAIN_MS) +
        shutdownDelayMs(mainCommand(name, s)!);
      const grace = durationMs(s.stop_grace_period ?? "10s", `${name} stop_grace_period`);
      assert.ok(
        grace > drainMs,
        `${name}: stop_grace_period ${grace / 1000}s must exceed --shutdown-delay + --drain-timeout, ${drainMs / 1000}s`,
      );
    }
  });

  it("points the simulator's uri fields at the proxy, which allows that Host", () => {
    const sim = mainCommand("opc-sim", load().services["opc-sim"]!)!;
    const pub = sim.parsed.get("public-url")?.value;
    assert.ok(pub, "opc-sim: --public-url http://opc-proxy:8080 so uri fields lead back through the proxy");
    const proxy = mainCommand("opc-proxy", load().services["opc-proxy"]!)!;
    assert.equal(
      new URL(proxy.parsed.get("api")!.value).hostname,
      "opc-sim",
      "opc-proxy: OPC_API names the opc-sim service",
    );
    assert.equal(
      new URL(proxy.parsed.get("api")!.value).port,
      String(tcpListen(listenOf(sim), "opc-sim").port),
      "opc-proxy: OPC_API port = the simulator's --listen port",
    );
    assert.equal(
      sim.parsed.get("user")?.value,
      proxy.parsed.get("user")?.value,
      "the simulator's account is the proxy's user",
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Kubernetes

interface Probe {
  exec?: { command?: string[] };
  httpGet?: { path?: string; port?: number | string; host?: string; scheme?: string };
  tcpSocket?: unknown;
  timeoutSeconds?: number;
  periodSeconds?: number;
  failureThreshold?: number;
}
interface SecurityContext {
  runAsNonRoot?: boolean;
  runAsUser?: number;
  runAsGroup?: number;
  fsGroup?: number;
  readOnlyRootFilesystem?: boolean;
  allowPrivilegeEscalation?: boolean;
  capabilities?: { drop?: string[]; add?: string[] };
  seccompProfile?: { type?: string };
}
interface Container {
  name: string;
  image?: string;
  command?: string[];
  args?: string[];
  restartPolicy?: string;
  env?: Array<{ name: string; value?: string; valueFrom?: unknown }>;
  envFrom?: Array<{ configMapRef?: { name: string }; secretRef?: { name: string } }>;
  ports?: Array<{ name?: string; containerPort: number; protocol?: string }>;
  securityContext?: SecurityContext;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  startupProbe?: Probe;
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  lifecycle?: { postStart?: Probe; preStop?: Probe };
  volumeMounts?: Array<{ name: string; mountPath: string; readOnly?: boolean }>;
}
interface PodSpec {
  hostNetwork?: boolean;
  automountServiceAccountToken?: boolean;
  terminationGracePeriodSeconds?: number;
  securityContext?: SecurityContext;
  initContainers?: Container[];
  containers: Container[];
  volumes?: Array<{
    name: string;
    secret?: { secretName: string; defaultMode?: number };
    emptyDir?: { medium?: string };
  }>;
}
interface K8sObject {
  kind: string;
  metadata: { name: string };
  data?: Record<string, string>;
  spec?: {
    template: { metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> }; spec: PodSpec };
  };
}

/** Mebibytes of a memory quantity such as 160Mi, 1Gi, 300M. */
function mebibytes(q: string | undefined, where: string): number {
  const m = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|K|M|G)?$/.exec(q ?? "");
  assert.ok(m, `${where}: "${q}" is not a memory quantity`);
  const f =
    { Ki: 1 / 1024, Mi: 1, Gi: 1024, K: 1000 / 1048576, M: 1e6 / 1048576, G: 1e9 / 1048576 }[m[2] as "Mi"] ??
    1 / 1048576;
  return Number(m[1]) * f;
}

describe("docker/kubernetes/sidecar.yaml", () => {
  // kubectl reads YAML 1.1, where 0400 is octal (256); parse it the same way.
  const load = lazy(() => {
    const docs = parseAllDocuments(read("docker/kubernetes/sidecar.yaml"), { version: "1.1" })
      .map((d) => {
        assert.deepEqual(d.errors, [], "YAML errors");
        return d.toJS() as K8sObject;
      })
      .filter(Boolean);
    const deployment = docs.find((d) => d.kind === "Deployment");
    assert.ok(deployment?.spec, "a Deployment");
    const pod = deployment.spec.template.spec;
    const configMaps = new Map(docs.filter((d) => d.kind === "ConfigMap").map((d) => [d.metadata.name, d.data ?? {}]));
    const template = deployment.spec.template;
    return { docs, pod, template, configMaps, all: [...(pod.initContainers ?? []), ...pod.containers] };
  });

  const envOfContainer = (c: Container): Env => {
    const env: Env = {};
    for (const from of c.envFrom ?? []) {
      assert.ok(!from.secretRef, `${c.name}: no envFrom secretRef (a password in the environment leaks)`);
      const data = load().configMaps.get(from.configMapRef!.name);
      assert.ok(data, `${c.name}: envFrom names ConfigMap ${from.configMapRef!.name}, which this file does not define`);
      Object.assign(env, data);
    }
    for (const e of c.env ?? []) env[e.name] = e.value ?? "";
    return env;
  };
  /** The container's own command line, if it runs opc-auth-proxy (the image's ENTRYPOINT). */
  const mainCommand = (c: Container): CommandLine | undefined => {
    if (!isOurImage(c.image?.split("/").at(-1))) return undefined;
    if (c.command && c.command[0] !== "opc-auth-proxy") return undefined; // another program of the image (install)
    const argv = [...(c.command?.slice(1) ?? []), ...(c.args ?? (c.command ? [] : imageCmd()))];
    return commandLine(argv, envOfContainer(c), `container ${c.name}`);
  };
  const execCommand = (c: Container, what: string, p: Probe | undefined): CommandLine | undefined => {
    const argv = p?.exec?.command;
    if (!argv || argv[0] !== "opc-auth-proxy") return undefined;
    return commandLine(argv.slice(1), envOfContainer(c), `container ${c.name} ${what}`);
  };
  const proxy = lazy(() => {
    const sidecars = load().all.filter((c) => mainCommand(c)?.sub === "serve");
    const sidecar = sidecars[0];
    assert.ok(sidecar, "no container runs opc-auth-proxy serve");
    const serve = mainCommand(sidecar)!;
    return { sidecars, sidecar, serve, listen: tcpListen(listenOf(serve), "sidecar") };
  });
  /** The sidecar's --admin-listen (flag or OPC_PROXY_ADMIN_LISTEN), which the kubelet and Prometheus reach. */
  const admin = lazy(() => {
    const { serve } = proxy();
    const a = serve.parsed.get("admin-listen");
    assert.ok(a, "the sidecar needs OPC_PROXY_ADMIN_LISTEN: probes and scrapes reach the pod IP, never loopback");
    return { ...tcpListen(a.value, `sidecar ${a.from}`), text: a.value, from: a.from };
  });
  /** The container port a probe or monitor names (a port name of the sidecar, or a number). */
  const portNumber = (c: Container, port: number | string | undefined, where: string): number => {
    if (typeof port === "number") return port;
    const named = c.ports?.find((p) => p.name === port);
    assert.ok(named, `${where}: port "${port}" is not a named port of ${c.name}`);
    return named.containerPort;
  };

  it("runs exactly one proxy, as a native sidecar (an init container with restartPolicy Always)", () => {
    const { pod } = load();
    const { sidecars, sidecar } = proxy();
    assert.equal(sidecars.length, 1, "one proxy per pod");
    assert.ok(
      pod.initContainers?.includes(sidecar),
      "the proxy belongs in initContainers (a native sidecar, Kubernetes 1.29+)",
    );
    assert.equal(sidecar.restartPolicy, "Always", "initContainers entry needs restartPolicy: Always to be a sidecar");
    assert.match(
      sidecar.image ?? "",
      new RegExp(`(^|/)${IMAGE}:${PACKAGE.version.replace(/\./g, "\\.")}$`),
      "image opc-auth-proxy at the package version",
    );
  });

  it("uses only real flags and variables", () => {
    const { all } = load();
    for (const c of all) {
      checkEnvNames(envOfContainer(c), `container ${c.name}`);
      mainCommand(c);
      for (const k of ["startupProbe", "readinessProbe", "livenessProbe"] as const) execCommand(c, k, c[k]);
      execCommand(c, "postStart", c.lifecycle?.postStart);
    }
  });

  it("listens on loopback only, and the app calls it there", () => {
    const { pod } = load();
    const { sidecar, serve, listen } = proxy();
    assert.ok(
      isLoopbackHost(listen.host),
      `the sidecar must listen on loopback (the default 127.0.0.1:8080), not ${listenOf(serve)}`,
    );
    assert.notEqual(pod.hostNetwork, true, "hostNetwork would share the node's loopback with the proxy");
    assert.ok(
      !sidecar.ports?.some((p) => p.containerPort === listen.port),
      `no containerPort ${listen.port}: the proxy's own listener is for the pod's containers only`,
    );
    const app = pod.containers.find((c) => c !== sidecar)!;
    const api = envOfContainer(app).OPC_API;
    assert.ok(api, `${app.name}: give the app OPC_API=http://127.0.0.1:${listen.port}`);
    assert.equal(new URL(api).port, String(listen.port));
    assert.ok(isLoopbackHost(new URL(api).hostname), `${app.name}: OPC_API must be the sidecar's loopback address`);
  });

  it("opens an admin listener on the pod IP, its port the only one the sidecar declares, named admin", () => {
    const { sidecar, listen } = proxy();
    const a = admin();
    assert.ok(
      a.host === "0.0.0.0" || a.host === "::",
      `${a.from} "${a.text}": the kubelet and Prometheus connect to the pod IP, so listen on 0.0.0.0 or [::]`,
    );
    assert.notEqual(a.port, listen.port, `${a.from}: another port than the proxy's ${listen.port}`);
    assert.deepEqual(
      sidecar.ports?.map((p) => ({ name: p.name, containerPort: p.containerPort })),
      [{ name: "admin", containerPort: a.port }],
      `ports: [{ name: admin, containerPort: ${a.port} }], the admin listener and nothing else`,
    );
  });

  it("probes over httpGet on the admin port (startup and readiness /-/readyz, liveness /-/healthz)", () => {
    const { sidecar } = proxy();
    const a = admin();
    const paths = { startupProbe: "/-/readyz", readinessProbe: "/-/readyz", livenessProbe: "/-/healthz" } as const;
    for (const [k, path] of Object.entries(paths) as Array<[keyof typeof paths, string]>) {
      const p = sidecar[k];
      assert.ok(p?.httpGet, `${k}: an httpGet probe on the admin listener (no exec: no second Node process)`);
      assert.equal(p.exec, undefined, `${k}: httpGet only`);
      assert.equal(p.httpGet.host, undefined, `${k}: no host: the kubelet probes the pod IP`);
      assert.notEqual(p.httpGet.scheme, "HTTPS", `${k}: the admin listener speaks HTTP`);
      assert.equal(portNumber(sidecar, p.httpGet.port, k), a.port, `${k}: the admin port, ${a.port}`);
      assert.equal(
        p.httpGet.path,
        path,
        `${k}: ${k === "livenessProbe" ? "liveness must not depend on the API" : "ready means a session is held"}`,
      );
    }
    const s = sidecar.startupProbe!;
    assert.equal(s.periodSeconds, 2, "startupProbe: every 2 s, so the app starts soon after the first login");
    assert.ok(
      (s.periodSeconds ?? 10) * (s.failureThreshold ?? 3) >= 60,
      "startupProbe: at least a minute for the first login (backoff after a network error) before a restart",
    );
  });

  it("has Prometheus scrape the admin port's /-/metrics (annotations, and the commented PodMonitor)", () => {
    const { template } = load();
    const { sidecar } = proxy();
    const a = admin();
    const ann = template.metadata?.annotations ?? {};
    assert.equal(ann["prometheus.io/scrape"], "true", 'pod annotation prometheus.io/scrape: "true"');
    assert.equal(ann["prometheus.io/port"], String(a.port), `pod annotation prometheus.io/port: "${a.port}"`);
    assert.equal(ann["prometheus.io/path"], "/-/metrics", "pod annotation prometheus.io/path: /-/metrics");
    // The example after the last "# ---" line, uncommented, must be a PodMonitor that selects this pod.
    const lines = read("docker/kubernetes/sidecar.yaml").split("\n");
    const start = lines.lastIndexOf("# ---");
    assert.ok(start > 0, 'a commented PodMonitor example after a "# ---" line at the end');
    const text = lines
      .slice(start + 1)
      .filter((l) => l.startsWith("#"))
      .map((l) => l.replace(/^# ?/, ""))
      .join("\n");
    const monitor = parse(text) as {
      apiVersion: string;
      kind: string;
      spec: {
        selector: { matchLabels: Record<string, string> };
        podMetricsEndpoints: Array<{ port?: string; path?: string }>;
      };
    };
    assert.equal(monitor.apiVersion, "monitoring.coreos.com/v1");
    assert.equal(monitor.kind, "PodMonitor");
    for (const [k, v] of Object.entries(monitor.spec.selector.matchLabels))
      assert.equal(template.metadata?.labels?.[k], v, `PodMonitor selector ${k}=${v} must match the pod's labels`);
    const [endpoint] = monitor.spec.podMetricsEndpoints;
    assert.equal(portNumber(sidecar, endpoint?.port, "PodMonitor"), a.port, "PodMonitor: the admin port, by name");
    assert.equal(endpoint?.path, "/-/metrics", "PodMonitor: path /-/metrics");
  });

  it("mounts the Secret owner- or fsGroup-readable only, into the proxy alone", () => {
    const { docs, pod, all } = load();
    const { sidecar, serve } = proxy();
    const secretVolumes = (pod.volumes ?? []).filter((v) => v.secret);
    assert.ok(secretVolumes.length > 0, "the password comes from a Secret volume");
    const nonRoot = (pod.securityContext?.runAsUser ?? 0) !== 0;
    for (const v of secretVolumes) {
      const mode = v.secret!.defaultMode;
      assert.ok(
        mode !== undefined && (mode & 0o007) === 0,
        `volume ${v.name}: defaultMode must not let others read (0400, or 0440 with fsGroup)`,
      );
      if (mode & 0o040) {
        assert.ok(
          nonRoot && pod.securityContext?.fsGroup !== undefined,
          `volume ${v.name}: a group-readable Secret (0440) is only for a non-root proxy whose fsGroup owns it`,
        );
      } else if (nonRoot) {
        assert.fail(
          `volume ${v.name}: a 0400 Secret file is root-owned, so the non-root proxy cannot read it; use 0440 with fsGroup`,
        );
      }
    }
    assert.ok(
      !docs.some((d) => d.kind === "Secret"),
      "the Secret is a commented example only: never a password in the repository",
    );
    const env = envOfContainer(sidecar);
    assert.equal(env.OPC_PASSWORD, undefined, "no OPC_PASSWORD: a file is the safer choice");
    const file = serve.parsed.get("password-file")?.value;
    assert.ok(file, "the sidecar needs OPC_PASSWORD_FILE");
    const mount = (c: Container, path: string) =>
      c.volumeMounts?.find((m) => path.startsWith(`${m.mountPath.replace(/\/$/, "")}/`));
    const m = mount(sidecar, file);
    const volume = pod.volumes?.find((v) => v.name === m?.name);
    assert.ok(volume?.secret, `${file} must be read straight from the Secret volume, so a rotated Secret is picked up`);
    assert.ok(m!.readOnly, `${m!.name}: mount the Secret read-only`);
    for (const c of all.filter((x) => x !== sidecar)) {
      assert.ok(
        !c.volumeMounts?.some((vm) => secretVolumes.some((v) => v.name === vm.name)),
        `${c.name} must not mount the password`,
      );
    }
  });

  it("runs every container non-root, read-only, without privilege escalation or capabilities", () => {
    const { pod, all } = load();
    const { sidecar, serve } = proxy();
    const podSc = pod.securityContext ?? {};
    assert.equal(podSc.seccompProfile?.type, "RuntimeDefault", "pod seccompProfile RuntimeDefault");
    assert.equal(podSc.runAsUser, 1000, "runAsUser 1000 (the image's USER)");
    assert.equal(
      podSc.fsGroup,
      podSc.runAsGroup ?? podSc.runAsUser,
      "fsGroup = the proxy's group, so it can read the Secret volume",
    );
    assert.equal(
      pod.automountServiceAccountToken,
      false,
      "no service account token: nothing here calls the Kubernetes API",
    );
    for (const c of all) {
      const sc = { ...podSc, ...c.securityContext };
      assert.equal(sc.runAsNonRoot, true, `${c.name}: runAsNonRoot`);
      assert.notEqual(sc.runAsUser, 0, `${c.name}: not uid 0`);
      assert.equal(sc.readOnlyRootFilesystem, true, `${c.name}: readOnlyRootFilesystem`);
      assert.equal(sc.allowPrivilegeEscalation, false, `${c.name}: allowPrivilegeEscalation false`);
      assert.ok(sc.capabilities?.drop?.includes("ALL"), `${c.name}: capabilities drop ALL`);
      assert.equal(sc.capabilities?.add, undefined, `${c.name}: no added capabilities`);
    }
    const writes = serve.parsed.get("cookie-file")?.value;
    if (writes)
      assert.ok(
        sidecar.volumeMounts?.some((m) => writes.startsWith(`${m.mountPath}/`) && !m.readOnly),
        `--cookie-file ${writes} needs a writable volume (the root filesystem is read-only)`,
      );
  });

  it("sizes memory from BENCHMARKS.md (140 MiB peak under load, 172 MiB soak peak)", () => {
    const { sidecar } = proxy();
    const r = sidecar.resources;
    assert.ok(
      r?.requests?.cpu && r.requests.memory && r.limits?.memory,
      "sidecar: requests cpu/memory and a memory limit",
    );
    assert.ok(
      mebibytes(r.requests.memory, "requests.memory") >= 140,
      "requests.memory at least the peak RSS under the 32-connection load (140 MiB)",
    );
    assert.ok(
      mebibytes(r.limits.memory, "limits.memory") >= 172 + 64,
      "limits.memory: the soak's peak RSS (172 MiB) plus room for garbage collection",
    );
    assert.ok(mebibytes(r.limits.memory, "limits.memory") >= mebibytes(r.requests.memory, "requests.memory"));
  });

  it("gives shutdown more time than the proxy's drain", () => {
    const { pod } = load();
    const { serve } = proxy();
    const drain = serve.parsed.get("drain-timeout");
    const drainMs =
      (drain ? durationMs(drain.value, `sidecar ${drain.from}`) : DEFAULT_DRAIN_MS) + shutdownDelayMs(serve);
    const grace = pod.terminationGracePeriodSeconds ?? 30;
    assert.ok(
      grace * 1000 > drainMs,
      `terminationGracePeriodSeconds ${grace} must exceed --shutdown-delay + --drain-timeout, ${drainMs / 1000}s (the app stops first, within the same period)`,
    );
  });
});

describe("docker client (optional)", () => {
  it(
    "the Dockerfile passes `docker build --check` when an engine is reachable",
    { skip: !process.env.OPC_TEST_DOCKER && "set OPC_TEST_DOCKER=1 to run (needs a Docker engine)" },
    async () => {
      const { spawnSync } = await import("node:child_process");
      const r = spawnSync("docker", ["build", "--check", "."], { cwd: ROOT, encoding: "utf8" });
      assert.equal(r.status, 0, `docker build --check failed:\n${r.stdout}${r.stderr}`);
    },
  );
});
