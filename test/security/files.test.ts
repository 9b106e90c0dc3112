// Files that cannot be turned against the proxy: a password file others could write is refused, a
// directory or FIFO says what it is (and never blocks), odd text is reported without the password,
// and a cookie file is read only when it is a small regular file.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { chmod, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { ProxyError } from "../../src/errors.js";
import { MAX_COOKIE_FILE_BYTES, readCookieFile } from "../../src/session/cookie-file.js";
import { fileCredentials, readPasswordFile } from "../../src/session/credentials.js";
import { USER } from "../support/identities.js";

const SECRET = "s3cret-pw";

describe("password file", () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "opc-files-"));
    execFileSync("mkfifo", [join(dir, "fifo")]);
    await mkdir(join(dir, "a-directory"), { mode: 0o700 });
  });
  after(() => rm(dir, { recursive: true, force: true }));

  const refusals = [
    { name: "writable by others", mode: 0o602, message: /is writable by others \(mode 602\)/ },
    { name: "writable by its group", mode: 0o620, message: /is writable by its group \(mode 620\)/ },
    { name: "readable by others", mode: 0o604, message: /is readable by others/ },
  ];
  for (const row of refusals) {
    it(`refused when ${row.name}`, async () => {
      const path = join(dir, row.name.replace(/ /g, "-"));
      await writeFile(path, `${SECRET}\n`);
      await chmod(path, row.mode);
      await assert.rejects(readPasswordFile(path), (err: ProxyError) => {
        assert.equal(err.code, "PASSWORD_FILE");
        assert.match(err.message, row.message);
        assert.ok(!err.message.includes(SECRET));
        return true;
      });
    });
  }

  it("a directory says it is a directory, before any mode advice", async () => {
    await assert.rejects(readPasswordFile(join(dir, "a-directory")), (err: ProxyError) => {
      assert.match(err.message, /is a directory/);
      assert.doesNotMatch(err.message, /chmod/);
      return true;
    });
  });

  it("a FIFO is refused at once instead of blocking", async () => {
    await assert.rejects(readPasswordFile(join(dir, "fifo")), /is not a regular file/);
  });

  const oddities = [
    { name: "a trailing space", text: `${SECRET} \n`, warning: /spaces or tabs/ },
    { name: "two lines", text: `${SECRET}\nsecond\n`, warning: /more than one line/ },
    { name: "one plain line (no warning)", text: `${SECRET}\n`, warning: undefined },
  ];
  for (const row of oddities) {
    it(`${row.name}: ${row.warning ? "a warning that does not show the password" : "no warning"}`, async () => {
      const path = join(dir, `odd-${row.name.replace(/\W/g, "")}`);
      await writeFile(path, row.text, { mode: 0o600 });
      const warnings: string[] = [];
      const creds = fileCredentials(USER, path, (m) => warnings.push(m));
      await creds.password();
      await creds.password();
      if (!row.warning) return assert.deepEqual(warnings, []);
      assert.equal(warnings.length, 1, "warned once per content");
      assert.match(warnings[0]!, row.warning);
      assert.ok(!warnings[0]!.includes(SECRET) && !warnings[0]!.includes("second"));
    });
  }
});

describe("cookie file", () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "opc-cookiefile-"));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it("a FIFO planted at its path is refused, not waited on", async () => {
    const path = join(dir, "fifo");
    execFileSync("mkfifo", [path]);
    await assert.rejects(readCookieFile(path), /not a regular file/);
  });

  it("a file larger than the bound is refused", async () => {
    const path = join(dir, "big");
    await writeFile(path, "#".repeat(MAX_COOKIE_FILE_BYTES + 1), { mode: 0o600 });
    await assert.rejects(readCookieFile(path), /larger than/);
  });

  const exposure = [
    { name: "mode 600 is private", mode: 0o600, exposed: false },
    { name: "mode 640 was readable by its group", mode: 0o640, exposed: true },
    { name: "mode 644 was readable by others", mode: 0o644, exposed: true },
  ];
  for (const row of exposure) {
    it(row.name, async () => {
      const path = join(dir, `c-${row.mode.toString(8)}`);
      await writeFile(path, "# Netscape HTTP Cookie File\n");
      await chmod(path, row.mode);
      assert.equal((await readCookieFile(path))!.othersCanRead, row.exposed);
    });
  }
});
