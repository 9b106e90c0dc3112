// Property-based tests of configuration parsing, which reads whatever a user, a compose file or a
// Kubernetes manifest hands it: problems are reported as ConfigError (never any other failure), and
// valid values come back as given.

import assert from "node:assert/strict";
import { chmod, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import fc from "fast-check";
import { loadConfig, SERVE_OPTIONS } from "../../src/config/serve.js";
import { ConfigError } from "../../src/errors.js";
import { exitCodeOf } from "../../src/commands/types.js";
import { parseListen } from "../../src/net/addresses.js";
import { parseDuration, parseHttpUrl, parseSize } from "../../src/config/options.js";

let dir: string;
let files: string[];
let goodPassword: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), "opc-cfg-"));
  goodPassword = join(dir, "password");
  await writeFile(goodPassword, "pw\n", { mode: 0o600 });
  const open = join(dir, "open");
  await writeFile(open, "pw\n");
  await chmod(open, 0o644);
  const empty = join(dir, "empty");
  await writeFile(empty, "", { mode: 0o600 });
  const sub = join(dir, "sub");
  await mkdir(sub);
  files = [goodPassword, open, empty, sub, join(dir, "missing"), "-", "", "relative-missing"];
});
after(() => rm(dir, { recursive: true, force: true }));

const FILE_FLAGS = new Set(["password-file", "ca-file", "cookie-file"]);
const FILE_VARS = new Set([
  "OPC_PASSWORD_FILE",
  "OPC_COMPUTE_PASSWORD_FILE",
  "OPC_PROXY_CA_FILE",
  "OPC_PROXY_COOKIE_FILE",
]);
const names = Object.keys(SERVE_OPTIONS).filter((n) => n !== "help" && n !== "version");
const vars: string[] = [
  ...new Set(Object.values(SERVE_OPTIONS).flatMap((o): string[] => ("env" in o ? [...o.env] : []))),
];
vars.push("OPC_USERNAME", "OPC_IDENTITY_DOMAIN", "OPC_PASSWORD");

/** Strings that never name a device or special file, so loading config can never block on one. */
const safe = (s: string) => (/\/(dev|proc|sys)\b/.test(s) ? "x" : s);
const text = fc.string({ unit: "binary", maxLength: 40 }).map(safe);

function argvArb() {
  const flagWithValue = fc.constantFrom(...names).chain((name) => {
    const v = FILE_FLAGS.has(name) ? fc.constantFrom(...files) : text;
    return fc
      .tuple(fc.constant(name), v, fc.boolean())
      .map(([n, val, joined]) => (joined ? [`--${n}=${val}`] : [`--${n}`, val]));
  });
  const stray = text.map((t) => [t]);
  return fc
    .array(fc.oneof({ weight: 4, arbitrary: flagWithValue }, { weight: 1, arbitrary: stray }), { maxLength: 8 })
    .map((parts) => parts.flat());
}

function envArb() {
  return fc.dictionary(fc.constantFrom(...vars), text, { maxKeys: 6 }).map((env) => {
    for (const k of Object.keys(env)) if (FILE_VARS.has(k)) env[k] = files[Math.abs(hash(env[k]!)) % files.length]!;
    return env;
  });
}

function hash(s: string): number {
  let h = 0;
  for (const c of s) h = (h * 31 + c.charCodeAt(0)) | 0;
  return h;
}

describe("loadConfig on arbitrary input", () => {
  it("either returns a config or throws one ConfigError listing problems, never anything else", async () => {
    await fc.assert(
      fc.asyncProperty(argvArb(), envArb(), async (argv, env) => {
        try {
          const r = await loadConfig(argv, env);
          assert.ok(r.config || r.help || r.version);
        } catch (err) {
          assert.ok(
            err instanceof ConfigError,
            `not a ConfigError: ${String(err)} for ${JSON.stringify(argv)} ${JSON.stringify(env)}`,
          );
          assert.ok(err.problems.length > 0);
          for (const p of err.problems) assert.equal(typeof p, "string");
          assert.equal(exitCodeOf(err), 2);
        }
      }),
      { numRuns: 500 },
    );
  });

  it("never echoes OPC_PASSWORD in a problem", async () => {
    await fc.assert(
      fc.asyncProperty(
        argvArb(),
        fc.string({ minLength: 12, maxLength: 30 }).filter((s) => s.trim().length >= 12),
        async (argv, password) => {
          try {
            await loadConfig(argv, { OPC_PASSWORD: password });
          } catch (err) {
            assert.ok(err instanceof ConfigError);
            assert.ok(!err.message.includes(password), `password echoed for ${JSON.stringify(argv)}`);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it("returns valid values as given, from flags or their variables, the flag winning", async () => {
    const host = fc.domain().filter((d) => d.length < 60);
    const input = fc.record({
      api: fc.tuple(
        host,
        fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined }),
        // An --api with a path is refused (test/config/config.test.ts): only the origin's spellings here.
        fc.constantFrom("", "/"),
      ),
      domain: fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,20}$/),
      user: fc.emailAddress().filter((e) => !/\s/.test(e)),
      listen: fc.oneof(
        fc
          .tuple(fc.ipV4(), fc.integer({ min: 0, max: 65535 }))
          .map(([h, p]) => ({ text: `${h}:${p}`, host: h, port: p })),
        fc.integer({ min: 0, max: 65535 }).map((p) => ({ text: `[::1]:${p}`, host: "::1", port: p })),
      ),
      timeout: fc.integer({ min: 1, max: 100_000 }),
      replay: fc.integer({ min: 0, max: 4096 }),
      allowHosts: fc.array(host, { maxLength: 3 }),
      origins: fc.array(fc.tuple(host, fc.integer({ min: 1, max: 65535 })), { maxLength: 3 }),
      viaEnv: fc.boolean(),
    });
    await fc.assert(
      fc.asyncProperty(input, async (i) => {
        const api = `https://${i.api[0]}${i.api[1] === undefined ? "" : `:${i.api[1]}`}${i.api[2]}`;
        const user = `/Compute-${i.domain}/${i.user}`;
        const origins = i.origins.map(([h, p]) => `http://${h}:${p}`);
        const argv = [
          "--api",
          api,
          "--user",
          user,
          "--password-file",
          goodPassword,
          "--listen",
          i.listen.text,
          "--upstream-timeout",
          `${i.timeout}ms`,
          "--max-replay-bytes",
          `${i.replay}KiB`,
        ];
        for (const h of i.allowHosts) argv.push("--allow-host", h.toUpperCase());
        for (const o of origins) argv.push("--allow-origin", o);
        const env: NodeJS.ProcessEnv = i.viaEnv
          ? { OPC_API: "https://other.example.com", OPC_PROXY_LISTEN: "127.0.0.1:1" }
          : {};
        const c = (await loadConfig(argv, env)).config!;
        assert.equal(c.api?.href, new URL(api).href);
        assert.equal(c.user, user);
        assert.deepEqual(c.password, { kind: "file", path: goodPassword });
        assert.deepEqual(c.listen, { kind: "tcp", host: i.listen.host, port: i.listen.port });
        assert.equal(c.upstreamTimeoutMs, i.timeout);
        assert.equal(c.maxReplayBytes, i.replay * 1024);
        assert.deepEqual(
          c.allowHosts,
          i.allowHosts.map((h) => h.toLowerCase()),
        );
        assert.deepEqual(
          c.allowOrigins,
          origins.map((o) => new URL(o).origin),
        );
        assert.ok(Object.isFrozen(c));
      }),
      { numRuns: 300 },
    );
  });
});

describe("value parsers on arbitrary input", () => {
  it("parseListen never throws, and what it accepts has a valid port", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 60 }), (s) => {
        const r = parseListen(s);
        if (typeof r !== "string" && r.kind === "tcp")
          assert.ok(Number.isInteger(r.port) && r.port >= 0 && r.port <= 65535);
        if (typeof r !== "string" && r.kind === "unix") assert.notEqual(r.path, "");
      }),
      { numRuns: 3000 },
    );
    fc.assert(
      fc.property(
        fc.oneof(
          fc.ipV4(),
          fc.ipV6().map((h) => `[${h}]`),
          fc.domain(),
        ),
        fc.integer({ min: 0, max: 65535 }),
        (h, p) => {
          const r = parseListen(`${h}:${p}`);
          assert.deepEqual(r, { kind: "tcp", host: h.replace(/^\[|\]$/g, ""), port: p });
        },
      ),
    );
  });

  it("durations, sizes and URLs report problems instead of throwing, and round-trip valid values", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 30 }), (s) => {
        const problems: string[] = [];
        const d = parseDuration(s, "--x", problems);
        const z = parseSize(s, "--x", problems);
        const u = parseHttpUrl(s, "--x", problems);
        if (d !== undefined) assert.ok(Number.isFinite(d) && d > 0);
        if (z !== undefined) assert.ok(Number.isFinite(z) && z >= 0);
        if (u !== undefined) assert.ok(u.protocol === "http:" || u.protocol === "https:");
        for (const p of problems) assert.match(p, /^--x: /);
      }),
      { numRuns: 3000 },
    );
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1_000_000 }), (n) => {
        const problems: string[] = [];
        assert.equal(parseDuration(`${n}s`, "--x", problems), n * 1000);
        assert.equal(parseDuration(`${n}ms`, "--x", problems), n);
        assert.equal(parseDuration(String(n), "--x", problems), n * 1000);
        assert.equal(parseSize(`${n}KiB`, "--x", problems), n * 1024);
        assert.equal(parseSize(String(n), "--x", problems), n);
        assert.deepEqual(problems, []);
      }),
    );
    fc.assert(
      fc.property(
        fc.webUrl({ withQueryParameters: false, withFragments: false }),
        fc.string({ minLength: 1, maxLength: 10 }),
        (url, secret) => {
          const withCreds = url.replace("://", `://user:${encodeURIComponent(secret)}@`);
          const problems: string[] = [];
          assert.equal(parseHttpUrl(withCreds, "--api", problems), undefined);
          assert.match(problems[0] ?? "", /credentials/);
        },
      ),
    );
  });
});
