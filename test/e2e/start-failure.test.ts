// A start that fails after the upstream exists (here: the port is taken) closes what it opened: the
// upstream connections, including a resume of OPC_COOKIE still waiting for the API.

import assert from "node:assert/strict";
import { once } from "node:events";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { describe, it } from "node:test";
import { assemble } from "../../src/assemble.js";
import { ProxyError } from "../../src/errors.js";
import { createLogger } from "../../src/log.js";
import { staticCredentials } from "../../src/session/credentials.js";
import { nimbulaValue } from "../support/cookies.js";
import { logSink, testSettings } from "../support/settings.js";
import { USER } from "../support/identities.js";

describe("assemble() when the listener cannot bind", () => {
  it(
    "rejects with LISTEN_FAILED and closes the upstream, cutting a resume in flight",
    { timeout: 20_000 },
    async () => {
      // An API that never answers /refresh/: the resume of OPC_COOKIE ends only if its request is cut
      // (the upstream timeout is set far beyond the test's own timeout).
      const api = http.createServer(() => undefined);
      api.listen(0, "127.0.0.1");
      await once(api, "listening");
      const taken = http.createServer();
      taken.listen(0, "127.0.0.1");
      await once(taken, "listening");
      try {
        const apiUrl = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
        const port = (taken.address() as AddressInfo).port;
        const settings = testSettings(apiUrl, {
          listen: { kind: "tcp", host: "127.0.0.1", port },
          listenText: `127.0.0.1:${port}`,
          upstreamTimeoutMs: 600_000,
        });
        const sink = logSink();
        const started = assemble(settings, {
          credentials: staticCredentials(USER, "secret", "a test"),
          log: createLogger("info", sink.stream),
          env: {
            OPC_COOKIE: nimbulaValue({
              user: USER,
              expiresAt: Date.now() + 20 * 60_000,
              sessionExpiresAt: Date.now() + 2 * 3600_000,
            }),
          },
        });
        await assert.rejects(started, (err) => err instanceof ProxyError && err.code === "LISTEN_FAILED");
        // Without the clean-up the resume waits for the API for 10 minutes; the test's timeout fails it.
        for (let i = 0; i < 1000 && !sink.lines.some((l) => l.includes('"resume_refused"')); i++) {
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
        assert.ok(
          sink.lines.some((l) => l.includes('"resume_refused"')),
          "the resume in flight ended when the upstream closed",
        );
      } finally {
        api.closeAllConnections();
        await new Promise((resolve) => api.close(resolve));
        await new Promise((resolve) => taken.close(resolve));
      }
    },
  );
});
