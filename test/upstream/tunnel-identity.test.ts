// The API's certificate is checked against the API's own host through a CONNECT tunnel, for a DNS
// name and for an IP literal alike: https-proxy-agent drops IP hosts, and Node would then compare
// the certificate with "localhost". All on loopback: 127.0.0.1 is the IP-literal API (loopback APIs
// are reached directly by routeFor, so the tunnel agent is built here the way createUpstream does).

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { rootCertificates } from "node:tls";
import { AuthFailure, createAuthClient } from "../../src/session/api-auth.js";
import { tunnelAgent } from "../../src/upstream/proxy-agents.js";
import { createUpstream, type Upstream } from "../../src/upstream/upstream.js";
import { selfSigned, type TestCert } from "../security/support/certs.js";
import { startCorpProxy } from "../security/support/corp-proxy.js";
import { startFakeApi } from "../security/support/fake-api.js";
import { PASSWORD, USER } from "../security/support/proxy.js";

const POOL = { keepAlive: true, scheduling: "lifo", maxFreeSockets: 4, timeout: 1_000 } as const;

describe("TLS identity of the API through a CONNECT proxy", () => {
  let ipCert: TestCert;
  let dnsCert: TestCert;
  before(async () => {
    ipCert = await selfSigned({ ip: ["127.0.0.1"] });
    dnsCert = await selfSigned({ dns: ["localhost"] });
  });
  after(async () => {
    await ipCert.dispose();
    await dnsCert.dispose();
  });

  const rows = [
    { name: "an IP literal API with a certificate for its IP", host: "127.0.0.1", cert: () => ipCert, ok: true },
    {
      name: "an IP literal API with a certificate for localhost only",
      host: "127.0.0.1",
      cert: () => dnsCert,
      ok: false,
    },
    { name: "a DNS-name API with a certificate for its name", host: "localhost", cert: () => dnsCert, ok: true },
    { name: "a DNS-name API with a certificate for an IP only", host: "localhost", cert: () => ipCert, ok: false },
  ];
  for (const row of rows) {
    it(`${row.name}: ${row.ok ? "accepted" : "refused before the password is sent"}`, async () => {
      const cert = row.cert();
      const api = await startFakeApi({ tls: { key: cert.key, cert: cert.cert } });
      const corp = await startCorpProxy(api.port);
      const trust = { ca: [...rootCertificates, cert.cert], rejectUnauthorized: true };
      const agent = tunnelAgent(new URL(corp.url), POOL, trust, row.host);
      const built = createUpstream({ api: new URL(`https://${row.host}:${api.port}`), ca: cert.cert, agent });
      // Logins use the session pool, which createUpstream builds itself: here it is the tunnel too.
      const upstream: Upstream = { ...built, sessionAgent: agent };
      try {
        const login = createAuthClient(upstream, 5_000).authenticate(USER, PASSWORD);
        if (row.ok) {
          assert.equal((await login).value, api.issued[0]);
        } else {
          await assert.rejects(
            login,
            (err: unknown) =>
              err instanceof AuthFailure &&
              err.kind === "transient" &&
              /ERR_TLS_CERT_ALTNAME_INVALID.*not valid for this host name/.test(err.message),
          );
          assert.equal(api.requests.length, 0, "the password went to a server with the wrong certificate");
        }
        assert.equal(corp.tunnels[0]?.target, `${row.host}:${api.port}`);
      } finally {
        upstream.close();
        await corp.close();
        await api.close();
      }
    });
  }
});
