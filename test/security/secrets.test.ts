// No secret ever leaves: a full session life (login, refreshes, a rotated cookie, a revoked session
// with a 401 and a replayed POST, a rejected password, recovery, API errors) at debug level, then
// every log line, response and status page is searched for the password, each cookie the API
// issued, and the client's own Authorization and Cookie values.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { send, startStack, V3, PASSWORD, type Reply, type Stack } from "../support/stack.js";
import { nimbulaValues, startRelay, type Relay } from "./support/relay.js";

const NEW_PASSWORD = "n3w-Rotated-Secr3t!";
const BEARER = "s3cret-bearer-token";
const CLIENT_COOKIE = "client-own-cookie-value-77";

describe("secrets never leave the proxy", () => {
  let relay: Relay;
  let stack: Stack;
  const seen: string[] = [];

  before(async () => {
    relay = await startRelay();
    stack = await startStack({
      passwordFile: true,
      logLevel: "debug",
      start: false,
      proxy: { api: new URL(relay.url) },
    });
    relay.targetPort = Number(new URL(stack.sim.url).port);
    await stack.proxy.session.start();
  });
  after(async () => {
    await stack.close();
    await relay.close();
  });

  /** A request as a careless client sends it, with everything the client got recorded. */
  async function client(method: string, path: string, body?: string): Promise<Reply> {
    const r = await send(stack.url, method, path, {
      headers: {
        accept: V3,
        authorization: `Bearer ${BEARER}`,
        cookie: `nimbula=${CLIENT_COOKIE}; theme=dark`,
        ...(body ? { "content-type": V3 } : {}),
      },
      body,
    });
    seen.push(`${method} ${path} ${r.status}`, JSON.stringify(r.headers), r.text);
    return r;
  }

  async function pages(): Promise<void> {
    for (const path of ["/-/status", "/-/metrics", "/-/readyz", "/-/healthz", "/-/nothing-here"])
      await client("GET", path);
  }

  it("lives a whole session life", async () => {
    const fake = stack.fake!;
    const sim = stack.sim.simulator;
    const counters = () => stack.proxy.session.snapshot().counters;
    const first = await client("GET", "/shape/");
    assert.equal(first.status, 200, first.text);
    await pages();

    for (let i = 1; i <= 3; i++) {
      await fake.advance(25 * 60_000);
      await stack.proxy.session.idle();
      assert.equal(counters().refreshes, i, `refresh ${i}: ${JSON.stringify(stack.proxy.session.snapshot())}`);
      const r = await client("GET", "/shape/");
      assert.equal(r.status, 200, r.text);
    }

    sim.rotateCookieNext(1);
    const rotated = await client("GET", "/shape/");
    assert.equal(rotated.status, 200, rotated.text);
    assert.equal(counters().adopted, 1);

    sim.revokeAll();
    const name = "/Compute-acme/jack.jones@example.com/secrets-test";
    const created = await client(
      "POST",
      "/sshkey/",
      JSON.stringify({ name, key: "ssh-rsa AAAAB3Nza== jack@laptop", enabled: true }),
    );
    assert.equal(created.status, 201, created.text);
    assert.equal(counters().unauthorized, 1);
    await pages();

    sim.failNext(1, { kind: "html", status: 502 });
    assert.equal((await client("GET", "/shape/")).status, 502);
    sim.failNext(1, { kind: "status", status: 500 });
    assert.equal((await client("GET", "/shape/")).status, 500);

    // The administrator changes the password: the session ends, logins are refused until the file follows.
    sim.setPassword(stack.proxy.session.user, NEW_PASSWORD);
    sim.revokeAll();
    const refused = await client("GET", "/shape/");
    assert.equal(refused.status, 503);
    for (let i = 0; i < 10 && stack.proxy.session.snapshot().state !== "blocked"; i++) {
      await fake.advance(60_000);
      await stack.proxy.session.idle();
      await client("GET", "/shape/");
    }
    assert.equal(stack.proxy.session.snapshot().state, "blocked", JSON.stringify(stack.proxy.session.snapshot()));
    await pages();

    await stack.setPasswordFile(`${NEW_PASSWORD}\n`);
    await fake.advance(2_000);
    await stack.proxy.session.idle();
    const recovered = await client("GET", "/shape/");
    assert.equal(recovered.status, 200, `${recovered.text} ${JSON.stringify(stack.proxy.session.snapshot())}`);
    await pages();
    assert.ok(sim.counters().logins >= 3, "logged in at start, after the revoke and after the fix");
  });

  it("never shows a secret in logs, responses or status pages", () => {
    const issued = nimbulaValues(relay.fromApi());
    assert.ok(issued.length >= 7, `the API issued ${issued.length} cookies`);
    const logs = stack.logs.join("\n");
    assert.ok(
      stack.logs.some((l) => l.includes('"level":"debug"')),
      "debug lines were written",
    );
    const everything = `${logs}\n${seen.join("\n")}`;
    const secrets: Array<[string, string]> = [
      ["the password", PASSWORD],
      ["the new password", NEW_PASSWORD],
      ["the client's Authorization", BEARER],
      ...issued.map((c, i): [string, string] => [`cookie #${i + 1}`, c]),
      ...issued.map((c, i): [string, string] => [`cookie #${i + 1}, JSON-escaped`, JSON.stringify(c).slice(1, -1)]),
    ];
    for (const [what, secret] of secrets) {
      assert.ok(!everything.includes(secret), `${what} appears in what the proxy wrote`);
    }
  });

  it("never sends the client's Cookie or Authorization to the API", () => {
    const toApi = relay.toApi();
    assert.ok(toApi.includes("GET /shape/"), "the relay saw the traffic");
    assert.ok(!toApi.includes(BEARER));
    assert.ok(!toApi.includes(CLIENT_COOKIE));
    assert.ok(!/\r\nauthorization:/i.test(toApi));
    for (const line of toApi.split("\r\n").filter((l) => /^cookie:/i.test(l))) {
      assert.match(line, /^cookie: nimbula=[^;]+$/i, "only the managed cookie goes upstream");
    }
  });
});
