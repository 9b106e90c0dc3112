// Covers src/credentials.ts: the owner-only password file check and its messages, newline handling,
// re-reading on every login (rotation), the fingerprint that wakes a blocked session, and the `-` prompt.

import assert from "node:assert/strict";
import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { after, before, describe, it } from "node:test";
import { fileCredentials, readPasswordFile, staticCredentials, modeProblem } from "../../src/session/credentials.js";
import { promptPassword } from "../../src/commands/prompt.js";
import { ProxyError } from "../../src/errors.js";

let dir: string;
let seq = 0;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), "opc-cred-test-"));
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function pwFile(content: string, mode = 0o600): Promise<string> {
  const path = join(dir, `pw-${++seq}`);
  await writeFile(path, content);
  await chmod(path, mode); // explicit: writeFile's mode is subject to the umask
  return path;
}

async function rejection(p: Promise<unknown>): Promise<ProxyError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof ProxyError, `expected a ProxyError, got ${String(err)}`);
    return err;
  }
  assert.fail("expected a rejection");
}

describe("readPasswordFile", () => {
  it("reads an owner-only file (600 and 400)", async () => {
    assert.equal(await readPasswordFile(await pwFile("hunter2\n", 0o600)), "hunter2");
    assert.equal(await readPasswordFile(await pwFile("hunter2\n", 0o400)), "hunter2");
  });

  for (const mode of [0o644, 0o640, 0o604, 0o660, 0o606, 0o444]) {
    it(`refuses a file that group or others can read (mode ${mode.toString(8)})`, async () => {
      const path = await pwFile("secret-pw\n", mode);
      const err = await rejection(readPasswordFile(path));
      assert.equal(err.code, "PASSWORD_FILE");
      assert.ok(err.message.includes("chmod 600"), err.message);
      assert.ok(err.message.includes("defaultMode: 0400"), err.message);
      assert.ok(err.message.includes(path), err.message);
      assert.ok(err.message.includes(mode.toString(8)), err.message);
      assert.ok(!err.message.includes("secret-pw"), "the message must not carry the password");
    });
  }

  describe("modeProblem: owner-only, or a Kubernetes Secret for this pod's fsGroup", () => {
    const me = { uid: 1000, groups: [1000, 2000] };
    it("accepts owner-only files", () => {
      assert.equal(modeProblem({ mode: 0o100600, uid: 1000, gid: 1000 }, me), undefined);
      assert.equal(modeProblem({ mode: 0o100400, uid: 1000, gid: 1000 }, me), undefined);
    });
    it("accepts a root-owned 0440 file whose group is one of the process's (kubelet with fsGroup)", () => {
      assert.equal(modeProblem({ mode: 0o100440, uid: 0, gid: 2000 }, me), undefined);
    });
    it("refuses group-readable files otherwise", () => {
      assert.match(modeProblem({ mode: 0o100640, uid: 1000, gid: 1000 }, me)!, /readable by its group \(mode 640\)/);
      assert.match(modeProblem({ mode: 0o100440, uid: 0, gid: 3000 }, me)!, /group/, "a group the process is not in");
      assert.match(
        modeProblem({ mode: 0o100440, uid: 0, gid: 0 }, { uid: 0, groups: [0] })!,
        /group/,
        "root gets no exception",
      );
    });
    it("always refuses files others can read", () => {
      assert.match(modeProblem({ mode: 0o100444, uid: 0, gid: 2000 }, me)!, /readable by others \(mode 444\)/);
      assert.match(modeProblem({ mode: 0o100604, uid: 1000, gid: 1000 }, me)!, /others/);
    });
  });

  it("names the path when the file is missing", async () => {
    const path = join(dir, "does-not-exist");
    const err = await rejection(readPasswordFile(path));
    assert.equal(err.code, "PASSWORD_FILE");
    assert.ok(err.message.includes(path), err.message);
    assert.match(err.message, /no such file/);
  });

  it("names the path when the path is a directory", async () => {
    const err = await rejection(readPasswordFile(dir));
    assert.ok(err.message.includes(dir), err.message);
  });

  for (const [label, content] of [
    ["empty", ""],
    ["a lone LF", "\n"],
    ["a lone CRLF", "\r\n"],
  ] as const) {
    it(`says a file holding ${label} is empty and names the path`, async () => {
      const path = await pwFile(content);
      const err = await rejection(readPasswordFile(path));
      assert.ok(err.message.includes(path), err.message);
      assert.match(err.message, /empty/);
    });
  }

  it("strips exactly one trailing LF or CRLF and keeps everything else", async () => {
    const cases: Array<[string, string]> = [
      ["pw", "pw"],
      ["pw\n", "pw"],
      ["pw\r\n", "pw"],
      ["pw\n\n", "pw\n"],
      ["pw\r\n\r\n", "pw\r\n"],
      ["  p w\t \n", "  p w\t "],
      ["a\nb\n", "a\nb"],
      ["pw\r", "pw\r"],
      ["pässwörd€\n", "pässwörd€"],
    ];
    for (const [content, expected] of cases) {
      assert.equal(await readPasswordFile(await pwFile(content)), expected, JSON.stringify(content));
    }
  });
});

describe("fileCredentials", () => {
  it("names the file as its source, never the password", async () => {
    const path = await pwFile("top-secret\n");
    const creds = fileCredentials("/Compute-acme/jack", path);
    assert.equal(creds.user, "/Compute-acme/jack");
    assert.ok(creds.source.includes(path));
    assert.ok(!creds.source.includes("top-secret"));
  });

  it("re-reads the file on every call, so a rotated password is picked up", async () => {
    const path = await pwFile("first\n");
    const creds = fileCredentials("/Compute-acme/jack", path);
    assert.equal(await creds.password(), "first");
    await writeFile(path, "second\n");
    assert.equal(await creds.password(), "second");
    await chmod(path, 0o644);
    await assert.rejects(creds.password(), /chmod 600/);
    await chmod(path, 0o600);
    assert.equal(await creds.password(), "second");
  });

  it("has a fingerprint that changes with the content and with the mode", async () => {
    const path = await pwFile("one\n");
    const creds = fileCredentials("/Compute-acme/jack", path);
    const a = await creds.fingerprint();
    assert.equal(typeof a, "string");
    assert.equal(await creds.fingerprint(), a, "stable while nothing changes");
    await writeFile(path, "two\n");
    const b = await creds.fingerprint();
    assert.notEqual(b, a);
    await chmod(path, 0o400);
    const c = await creds.fingerprint();
    assert.notEqual(c, b);
    assert.ok(!String(c).includes("two"), "the fingerprint must not carry the password");
  });

  it("has a fingerprint for a missing file that changes once the file appears", async () => {
    const path = join(dir, `later-${++seq}`);
    const creds = fileCredentials("/Compute-acme/jack", path);
    const missing = await creds.fingerprint();
    assert.equal(typeof missing, "string");
    await writeFile(path, "now\n");
    await chmod(path, 0o600);
    assert.notEqual(await creds.fingerprint(), missing);
  });
});

describe("staticCredentials", () => {
  it("returns its password and has no fingerprint (it cannot change)", async () => {
    const creds = staticCredentials("/Compute-acme/jack", "pw", "OPC_PASSWORD");
    assert.equal(await creds.password(), "pw");
    assert.equal(await creds.fingerprint(), undefined);
    assert.equal(creds.source, "OPC_PASSWORD");
  });
});

describe("promptPassword", () => {
  function io() {
    const stdin = new PassThrough();
    const stderr = new PassThrough();
    let written = "";
    stderr.on("data", (c: Buffer) => (written += c.toString()));
    return { stdin, stderr, written: () => written };
  }

  it("reads one line from a non-TTY stdin, without a prompt and leaving the rest", async () => {
    const x = io();
    const p = promptPassword(x);
    x.stdin.write("s3cr3t pass\nnext line\n");
    assert.equal(await p, "s3cr3t pass");
    assert.equal(x.written(), "", "no prompt when stdin is not a terminal");
    assert.equal(x.stdin.listenerCount("data"), 0, "listeners are removed");
  });

  it("stops at CR of a CRLF line ending", async () => {
    const x = io();
    const p = promptPassword(x);
    x.stdin.write("pw\r\n");
    assert.equal(await p, "pw");
  });

  it("accepts a line that arrives in several chunks", async () => {
    const x = io();
    const p = promptPassword(x);
    x.stdin.write("ab");
    x.stdin.write("cd\n");
    assert.equal(await p, "abcd");
  });

  it("accepts a last line without a newline at end of input", async () => {
    const x = io();
    const p = promptPassword(x);
    x.stdin.end("tail");
    assert.equal(await p, "tail");
  });

  it("rejects when standard input ends empty", async () => {
    const x = io();
    const p = promptPassword(x);
    x.stdin.end();
    await assert.rejects(p, /no password was given/);
  });
});
