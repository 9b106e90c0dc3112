// Memory stays bounded: caps on objects, sessions and request bodies answer with clear JSON errors.

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { api, cookieFor, login, send, startFake, USER, V3 } from "../support/simulator.js";

describe("simulator limits", () => {
  it("refuses objects past maxObjects with 507, and accepts again after a delete", async () => {
    const sim = await startFake({ maxObjects: 2 });
    try {
      const cookie = await cookieFor(sim.url);
      for (const n of ["a", "b"])
        assert.equal((await api(sim.url, cookie, "POST", "/sshkey/", { name: `${USER}/${n}`, key: "k" })).status, 201);
      const full = await api(sim.url, cookie, "POST", "/sshkey/", { name: `${USER}/c`, key: "k" });
      assert.equal(full.status, 507);
      assert.match(full.json().message, /maxObjects=2/);
      assert.equal((await api(sim.url, cookie, "DELETE", `/sshkey${USER}/a`)).status, 204);
      assert.equal((await api(sim.url, cookie, "POST", "/sshkey/", { name: `${USER}/c`, key: "k" })).status, 201);
    } finally {
      await sim.close();
    }
  });

  it("refuses logins past maxSessions with 507 until sessions end", async () => {
    const sim = await startFake({ maxSessions: 2, sessionTtlSeconds: 60, tokenTtlSeconds: 60 });
    try {
      assert.equal((await login(sim.url)).status, 204);
      await sim.clock.advance(1);
      assert.equal((await login(sim.url)).status, 204);
      await sim.clock.advance(1);
      const full = await login(sim.url);
      assert.equal(full.status, 507);
      assert.match(full.json().message, /maxSessions=2/);
      await sim.clock.advance(60_000);
      assert.equal((await login(sim.url)).status, 204, "ended sessions free their place");
    } finally {
      await sim.close();
    }
  });

  it("refuses bodies past maxBodyBytes with 413, declared or streamed", async () => {
    const sim = await startFake({ maxBodyBytes: 1024 });
    try {
      const cookie = await cookieFor(sim.url);
      const big = JSON.stringify({ name: `${USER}/big`, key: "x".repeat(2000) });
      const declared = await api(sim.url, cookie, "POST", "/sshkey/", JSON.parse(big));
      assert.equal(declared.status, 413);
      assert.equal(typeof declared.json().message, "string");
      const chunked = await send(sim.url, "POST", "/authenticate/", {
        headers: { "content-type": V3, "transfer-encoding": "chunked" },
        body: big,
      });
      assert.equal(chunked.status, 413);
    } finally {
      await sim.close();
    }
  });
});
