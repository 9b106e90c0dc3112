// Covers how client identity mode reads HTTP Basic credentials (RFC 7617): split at the first
// colon, any other scheme or shape ignored, so a malformed header is "no credentials" (401).

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { basicCredentials } from "../../src/http/identify.js";

const b64 = (s: string) => Buffer.from(s, "utf8").toString("base64");

describe("basicCredentials", () => {
  const rows: { name: string; header: string | undefined; expect: { user: string; password: string } | undefined }[] = [
    {
      name: "a Compute user with / and @, a password with colons",
      header: `Basic ${b64("/Compute-acme/jack.jones@example.com:a:b:c")}`,
      expect: { user: "/Compute-acme/jack.jones@example.com", password: "a:b:c" },
    },
    { name: "the scheme in any case", header: `bAsIc ${b64("u:p")}`, expect: { user: "u", password: "p" } },
    { name: "an empty password", header: `Basic ${b64("u:")}`, expect: { user: "u", password: "" } },
    {
      name: "UTF-8 in the password",
      header: `Basic ${b64("u:pässwörd")}`,
      expect: { user: "u", password: "pässwörd" },
    },
    { name: "no header", header: undefined, expect: undefined },
    { name: "another scheme", header: `Bearer ${b64("u:p")}`, expect: undefined },
    { name: "no colon", header: `Basic ${b64("user-only")}`, expect: undefined },
    { name: "an empty user", header: `Basic ${b64(":p")}`, expect: undefined },
    { name: "not base64", header: "Basic !!!", expect: undefined },
    { name: "two tokens", header: `Basic ${b64("u:p")} ${b64("x:y")}`, expect: undefined },
  ];
  for (const row of rows) {
    it(row.name, () => assert.deepEqual(basicCredentials(row.header), row.expect));
  }
});
