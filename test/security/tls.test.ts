// TLS to the API is verified: a self-signed API is refused with a message naming --ca-file, works
// with --ca-file, and works with --insecure-skip-tls-verify, which warns at every start.

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { loadConfig } from "../../src/config/serve.js";
import { send, V3 } from "../support/stack.js";
import { selfSigned, type TestCert } from "./support/certs.js";
import { startFakeApi, type FakeApi } from "./support/fake-api.js";
import { PASSWORD, USER, startProxy } from "./support/proxy.js";

let cert: TestCert;
let api: FakeApi;
let dir: string;
let passwordFile: string;

before(async () => {
  cert = await selfSigned({ dns: ["localhost"], ip: ["127.0.0.1"] });
  api = await startFakeApi({ tls: { key: cert.key, cert: cert.cert } });
  dir = await mkdtemp(join(tmpdir(), "opc-tls-"));
  passwordFile = join(dir, "password");
  await writeFile(passwordFile, `${PASSWORD}\n`, { mode: 0o600 });
});
after(async () => {
  await api.close();
  await cert.dispose();
  await rm(dir, { recursive: true, force: true });
});

describe("TLS to the API", () => {
  it("is verified by default: login fails with a message that names --ca-file", async () => {
    // loginWaitMs 0: the client gets the 503 at once instead of waiting for the retry (manager.ts).
    const p = await startProxy(api.url, { policy: { loginWaitMs: 0 } });
    try {
      const s = p.proxy.session.snapshot();
      assert.equal(s.ready, false);
      assert.match(s.lastError?.message ?? "", /self-signed certificate.*not trusted.*--ca-file/);
      const r = await send(p.url, "GET", "/shape/", { headers: { accept: V3 } });
      assert.equal(r.status, 503);
      assert.match(r.json().message, /--ca-file/);
      assert.equal(api.requests.length, 0, "nothing may be sent over an unverified connection");
    } finally {
      await p.close();
    }
  });

  it("trusts the CA given with --ca-file (read by the real config) and keeps the public roots", async () => {
    const loaded = await loadConfig(
      ["--api", api.url, "--user", USER, "--password-file", passwordFile, "--ca-file", cert.certPath],
      {},
    );
    const config = loaded.config!;
    assert.ok(config.ca?.includes("BEGIN CERTIFICATE"));
    const p = await startProxy(api.url, { settings: { ca: config.ca } });
    try {
      assert.equal(p.proxy.session.snapshot().ready, true);
      assert.equal((await send(p.url, "GET", "/shape/", { headers: { accept: V3 } })).status, 200);
    } finally {
      await p.close();
    }
  });

  it("reports a --ca-file that holds no certificate as a configuration problem", async () => {
    const bogus = join(dir, "bogus.pem");
    await writeFile(bogus, "not a certificate");
    await assert.rejects(
      loadConfig(["--api", api.url, "--user", USER, "--password-file", passwordFile, "--ca-file", bogus], {}),
      /--ca-file: .* holds no PEM certificate/,
    );
  });

  it("accepts any certificate with --insecure-skip-tls-verify", async () => {
    const p = await startProxy(api.url, { settings: { insecureSkipTlsVerify: true } });
    try {
      assert.equal(p.proxy.session.snapshot().ready, true);
      assert.equal((await send(p.url, "GET", "/shape/", { headers: { accept: V3 } })).status, 200);
    } finally {
      await p.close();
    }
  });

  it("warns at start when --insecure-skip-tls-verify is set, and prints no secret", async () => {
    const cli = join(import.meta.dirname, "../../src/cli.ts");
    const child = spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        cli,
        "serve",
        "--api",
        api.url,
        "--user",
        USER,
        "--password-file",
        passwordFile,
        "--insecure-skip-tls-verify",
        "--listen",
        "127.0.0.1:0",
        "--log-level",
        "debug",
      ],
      { env: { PATH: process.env.PATH ?? "" }, stdio: ["ignore", "pipe", "pipe"] },
    );
    let out = "";
    child.stdout.on("data", (c: Buffer) => (out += c.toString()));
    child.stderr.on("data", (c: Buffer) => (out += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    try {
      const deadline = Date.now() + 30_000;
      while (!/"event":"login"/.test(out) && Date.now() < deadline && child.exitCode === null) {
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.match(out, /"level":"warn".*"event":"insecure".*NOT verified/);
      assert.match(out, /"event":"login"/);
    } finally {
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(timer);
    }
    assert.ok(!out.includes(PASSWORD), "the password appears in the output");
    for (const cookie of api.issued) assert.ok(!out.includes(cookie), "a cookie appears in the output");
  });
});
