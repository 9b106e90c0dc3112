// maskSecrets: every remembered secret is blanked out of a message, as written or percent-encoded
// (a client can put the password in a path it sends; the request log shows that path).

import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import { forgetSecrets, MASK, maskSecrets, rememberSecret } from "../../src/secrets.js";

const SECRET = "hunter2-SECRETPASS";

describe("maskSecrets", () => {
  afterEach(forgetSecrets);

  const rows: [name: string, text: string, want: string][] = [
    ["as written", `/x/${SECRET}/y`, `/x/${MASK}/y`],
    ["one character percent-encoded", "/x/%68unter2-SECRETPASS", `/x/${MASK}`],
    ["every character percent-encoded", `/x/${encodeAll(SECRET)}?a=1`, `/x/${MASK}?a=1`],
    ["lowercase hex", "/x/%68%75nter2-SECRETPASS", `/x/${MASK}`],
    ["in a query, beside other escapes", "/x?p=hunter2%2DSECRETPASS&q=%20", `/x?p=${MASK}&q= `],
  ];
  for (const [name, text, want] of rows) {
    it(`masks a secret ${name}`, () => {
      rememberSecret(SECRET);
      assert.equal(maskSecrets(text), want);
    });
  }

  it("leaves text without a secret as written, escapes and invalid escapes included", () => {
    rememberSecret(SECRET);
    for (const text of ["/x/%68ello", "/x/%zz/%E0%A4", "/plain/path", "100%"]) assert.equal(maskSecrets(text), text);
  });
});

function encodeAll(text: string): string {
  return [...Buffer.from(text)].map((b) => `%${b.toString(16).padStart(2, "0").toUpperCase()}`).join("");
}
