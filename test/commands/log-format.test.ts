// --log-format: which format is chosen, what a text line looks like (and that redaction still holds),
// and the one-line banner a terminal gets at start with --api.

import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { serve } from "../../src/commands/serve.js";
import { createLogger } from "../../src/log.js";
import { bannerLine, chooseLogFormat, parseLogFormat, textDestination, type LogFormat } from "../../src/log-format.js";
import { startSimulator } from "../../src/simulator/index.js";
import { fakeIO } from "../support/io.js";
import { PASSWORD, USER } from "../support/stack.js";

describe("choosing the log format", () => {
  const rows: Array<{ name: string; asked: LogFormat | undefined; terminal: boolean; want: LogFormat }> = [
    { name: "a terminal, nothing asked: text", asked: undefined, terminal: true, want: "text" },
    { name: "a pipe or file, nothing asked: JSON", asked: undefined, terminal: false, want: "json" },
    { name: "json asked on a terminal: JSON", asked: "json", terminal: true, want: "json" },
    { name: "text asked into a pipe: text", asked: "text", terminal: false, want: "text" },
  ];
  for (const row of rows) {
    it(row.name, () => assert.equal(chooseLogFormat(row.asked, row.terminal), row.want));
  }

  const values = [
    { name: "text", value: "text", want: "text" },
    { name: "JSON in capitals", value: "JSON", want: "json" },
    { name: "pretty (not a format)", value: "pretty", want: undefined },
    { name: "empty", value: "", want: undefined },
  ];
  for (const row of values) {
    it(`--log-format ${row.name}`, () => {
      const problems: string[] = [];
      assert.equal(parseLogFormat(row.value, "OPC_PROXY_LOG_FORMAT", problems), row.want);
      if (row.want === undefined)
        assert.match(problems[0]!, /^OPC_PROXY_LOG_FORMAT: ".*" is not a log format; use text or json$/);
      else assert.deepEqual(problems, []);
    });
  }
});

describe("text log lines", () => {
  async function textLines(write: (log: ReturnType<typeof createLogger>) => void): Promise<string[]> {
    let out = "";
    const log = createLogger(
      "debug",
      await textDestination({ colorize: false, out: { write: (s: string) => (out += s) } }),
    );
    write(log);
    return out.split("\n").filter(Boolean);
  }

  it("one short line per event: time, level, component, message, then the other fields", async () => {
    const lines = await textLines((log) => {
      log.child({ component: "proxy" }).info(
        {
          event: "request",
          method: "GET",
          path: "/shape/",
          status: 200,
          durationMs: 3.2,
          retried: false,
          requestId: "r-1",
        },
        "GET /shape/ 200",
      );
      log
        .child({ component: "session" })
        .warn({ event: "login_failed", kind: "rejected" }, "login failed: Incorrect username or password");
    });
    assert.equal(lines.length, 2);
    assert.match(
      lines[0]!,
      /^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: proxy: GET \/shape\/ 200 durationMs=3\.2 retried=false requestId=r-1$/,
    );
    assert.match(lines[1]!, /^\[[\d:.]+\] WARN: session: login failed: Incorrect username or password kind=rejected$/);
  });

  it("quotes values with spaces and writes objects as JSON, still on one line", async () => {
    const [line] = await textLines((log) =>
      log.info({ user: "/Compute-acme/jack jones", route: { via: "proxy", n: 2 } }, "x"),
    );
    assert.match(line!, / user="\/Compute-acme\/jack jones" route=\{"via":"proxy","n":2\}$/);
  });

  it("keeps secrets out: redaction runs before the text is made", async () => {
    const secret = "s3cr3t-Pa55word";
    const lines = await textLines((log) =>
      log.debug(
        {
          password: secret,
          cookie: `nimbula=${secret}`,
          headers: { authorization: `Basic ${secret}`, cookie: secret, "set-cookie": [`nimbula=${secret}`] },
          login: { password: secret },
        },
        "debug with everything",
      ),
    );
    assert.equal(lines.length, 1);
    assert.ok(!lines[0]!.includes(secret), lines[0]);
    assert.match(lines[0]!, /password=\[redacted\]/);
  });
});

describe("the start-up banner", () => {
  it("is one line: address with the real port, admin address, API, user and session state", () => {
    const at = Date.UTC(2026, 0, 2, 12, 30);
    const line = bannerLine({
      version: "1.2.3",
      url: "http://127.0.0.1:41234",
      adminUrl: "http://0.0.0.0:9090",
      api: "https://compute.example.com",
      user: USER,
      ready: true,
      tokenExpiresAt: at,
    });
    assert.equal(
      line,
      `opc-auth-proxy 1.2.3: http://127.0.0.1:41234 (admin http://0.0.0.0:9090) → https://compute.example.com as ${USER}; session ready, token until 12:30 UTC\n`,
    );
    const failed = bannerLine({ version: "1", url: "u", api: "a", user: "x", ready: false, reason: "login rejected" });
    assert.equal(failed, "opc-auth-proxy 1: u → a as x; not ready: login rejected\n");
  });

  for (const row of [
    { name: "is written to a terminal, naming the port chosen for :0", terminal: true },
    { name: "is not written when standard error is not a terminal", terminal: false },
  ]) {
    it(row.name, async () => {
      const sim = await startSimulator({ users: [{ user: USER, password: PASSWORD }] });
      const dir = await mkdtemp(join(tmpdir(), "opc-banner-"));
      try {
        const pw = join(dir, "pw");
        await writeFile(pw, `${PASSWORD}\n`, { mode: 0o600 });
        const f = fakeIO({ env: { OPC_API: sim.url, OPC_USER: USER, OPC_PASSWORD_FILE: pw } });
        if (row.terminal) Object.assign(f.io.stderr, { isTTY: true });
        const exit = serve(["--listen", "127.0.0.1:0", "--log-level", "silent"], f.io);
        // Bounded: the login against a loopback simulator takes milliseconds.
        const sleep = () => new Promise((r) => setTimeout(r, 10));
        for (let i = 0; i < 500 && sim.simulator.counters().logins === 0; i++) await sleep();
        for (let i = 0; i < 20 && !f.err().includes("\n"); i++) await sleep();
        f.abort();
        assert.equal(await exit, 0);
        if (row.terminal) {
          assert.match(
            f.err(),
            new RegExp(
              `^opc-auth-proxy \\S+: http://127\\.0\\.0\\.1:(?!0\\b)\\d+ → ${sim.url} as /Compute-acme/jack\\.jones@example\\.com; session ready, token until \\d\\d:\\d\\d UTC\\n$`,
            ),
          );
        } else {
          assert.equal(f.err(), "");
        }
      } finally {
        await sim.close();
        await rm(dir, { recursive: true, force: true });
      }
    });
  }
});
