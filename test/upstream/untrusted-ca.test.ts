// Clearer words for an untrusted API certificate: with --ca-file the message says the given CA file
// does not trust the certificate; without, that a private CA needs --ca-file; both name the issuer.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { AuthFailure, createAuthClient } from "../../src/session/api-auth.js";
import { createUpstream } from "../../src/upstream/upstream.js";
import { selfSigned, type TestCert } from "../security/support/certs.js";
import { startFakeApi, type FakeApi } from "../security/support/fake-api.js";
import { PASSWORD, USER } from "../security/support/proxy.js";

describe("an API certificate no CA vouches for", () => {
  let apiCert: TestCert;
  let otherCa: TestCert;
  let api: FakeApi;
  before(async () => {
    apiCert = await selfSigned({ ip: ["127.0.0.1"] });
    otherCa = await selfSigned({ ip: ["127.0.0.1"] });
    api = await startFakeApi({ tls: { key: apiCert.key, cert: apiCert.cert } });
  });
  after(async () => {
    await api.close();
    await apiCert.dispose();
    await otherCa.dispose();
  });

  const rows = [
    {
      name: "a wrong CA in --ca-file",
      ca: () => otherCa.cert,
      says: /the CA file given with --ca-file \(OPC_PROXY_CA_FILE\) does not trust the API's certificate \(issued by CN=opc-auth-proxy test API\)/,
    },
    {
      name: "no --ca-file",
      ca: () => undefined,
      says: /the API's TLS certificate \(issued by CN=opc-auth-proxy test API\) is not trusted: .*add that CA with --ca-file/,
    },
  ];
  for (const row of rows) {
    it(`${row.name}: names the issuer and what to fix, and sends no request`, async () => {
      const upstream = createUpstream({ api: new URL(api.url), ca: row.ca() });
      try {
        await assert.rejects(
          createAuthClient(upstream, 5_000).authenticate(USER, PASSWORD),
          (err: unknown) => err instanceof AuthFailure && err.kind === "transient" && row.says.test(err.message),
        );
        assert.equal(api.requests.length, 0);
      } finally {
        upstream.close();
      }
    });
  }
});
