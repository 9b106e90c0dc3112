// The shared cookie file's format: what is written (Netscape lines, header, user and API comments,
// mode 600 by temp file and rename) and how tolerantly other tools' files are read back.

import assert from "node:assert/strict";
import { chmod, mkdtemp, readdir, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import {
  formatCookieFile,
  nimbulaFor,
  parseCookieFile,
  readCookieFile,
  writeCookieFile,
} from "../../src/session/cookie-file.js";
import { USER } from "../support/identities.js";

const T = Date.UTC(2026, 10, 28, 12, 30, 0, 500);

describe("cookie file", () => {
  it("writes a Netscape line for the API host, secure for https, expiring with the token", () => {
    const text = formatCookieFile({
      api: new URL("https://compute.uscom-central-1.oraclecloud.com:443/"),
      user: USER,
      value: "eyJ+/a==",
      tokenExpiresAt: T,
      sessionExpiresAt: T + 3600_000,
    });
    assert.match(text, /^# Netscape HTTP Cookie File\n/);
    assert.ok(
      text.endsWith(
        `compute.uscom-central-1.oraclecloud.com\tFALSE\t/\tTRUE\t${Math.floor(T / 1000)}\tnimbula\teyJ+/a==\n`,
      ),
    );
    const back = parseCookieFile(text);
    assert.equal(back.user, USER);
    assert.equal(back.api, "https://compute.uscom-central-1.oraclecloud.com");
    assert.equal(back.sessionExpiresAt, T + 3600_000);
    assert.equal(nimbulaFor(back, new URL("https://compute.uscom-central-1.oraclecloud.com"))?.value, "eyJ+/a==");
    assert.equal(nimbulaFor(back, new URL("https://other.example.com")), undefined);
  });

  it("refuses a value that would break the line format", () => {
    assert.throws(
      () => formatCookieFile({ api: new URL("http://127.0.0.1:1"), user: USER, value: "a\tb", tokenExpiresAt: T }),
      /tab or line break/,
    );
  });

  it("reads other tools' files: CRLF, #HttpOnly_, leading dots, other cookies, spaces, raw JSON values", () => {
    const raw = `{"identity": "{\\"realm\\": \\"r\\"}"}`;
    const text = [
      "# Netscape HTTP Cookie File",
      "# https://curl.se/docs/http-cookies.html",
      "",
      "#HttpOnly_.example.com\tTRUE\t/\tTRUE\t0\tsession\tabc",
      `api.example.com\tFALSE\t/\tTRUE\t1795886912\tnimbula\t${raw}`,
      "api.example.com FALSE / TRUE 1795886912 other x y",
      "broken line",
    ].join("\r\n");
    const c = parseCookieFile(text);
    assert.equal(c.user, undefined);
    assert.equal(c.cookies.length, 3);
    assert.deepEqual(c.cookies[0], {
      domain: "example.com",
      path: "/",
      secure: true,
      expiresAt: 0,
      name: "session",
      value: "abc",
    });
    assert.equal(nimbulaFor(c, new URL("https://api.example.com"))?.value, raw);
    assert.equal(nimbulaFor(c, new URL("https://api.example.com"))?.expiresAt, 1795886912_000);
    assert.equal(c.cookies[2]!.value, "x y");
  });

  it("writes atomically with mode 600, replacing a looser file, leaving no temporary file", async () => {
    const dir = await mkdtemp(join(tmpdir(), "opc-cookie-file-"));
    try {
      const path = join(dir, "cookies");
      await writeFile(path, "old\n");
      await chmod(path, 0o644);
      await writeCookieFile(path, {
        api: new URL("http://127.0.0.1:8081"),
        user: USER,
        value: "v1",
        tokenExpiresAt: T,
      });
      assert.equal((await stat(path)).mode & 0o777, 0o600);
      assert.deepEqual(await readdir(dir), ["cookies"]);
      assert.equal(
        nimbulaFor((await readCookieFile(path))!, new URL("http://127.0.0.1:9999"))?.value,
        "v1",
        "ports do not matter to cookies",
      );
      assert.equal(await readCookieFile(join(dir, "absent")), undefined);
      await assert.rejects(
        writeCookieFile(join(dir, "no", "cookies"), {
          api: new URL("http://127.0.0.1"),
          user: USER,
          value: "v",
          tokenExpiresAt: T,
        }),
        (err: Error & { code?: string }) =>
          err.code === "COOKIE_FILE" &&
          err.message.includes(join(dir, "no", "cookies")) &&
          !err.message.includes("v\n"),
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
