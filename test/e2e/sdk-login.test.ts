// Clients that log in themselves (the Go SDK behind Terraform and Packer): their POST /authenticate/
// and GET /refresh/ are answered by the proxy with a placeholder, never forwarded, and the SDK
// pattern (log in, keep the first cookie, send it back) works end to end across a revocation.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { decodeClaims } from "../../src/session/cookie.js";
import { PLACEHOLDER_REALM } from "../../src/session/placeholder.js";
import { events, PASSWORD, send, startStack, USER, V3, type Stack } from "../support/stack.js";

const login = (url: string, body: unknown, type = V3) =>
  send(url, "POST", "/authenticate/", {
    headers: { "content-type": type, accept: V3 },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });

/** What the Go SDK keeps: the first Set-Cookie's name=value. */
function firstCookie(setCookie: string[] | undefined): string {
  const line = setCookie?.[0];
  assert.ok(line, "no Set-Cookie");
  return line.split(";")[0]!;
}

describe("clients that log in themselves", () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({ passwordFile: true });
  });
  after(() => stack.close());

  it("the SDK pattern: log in, keep the cookie, create, read and delete an sshkey, across a revocation", async () => {
    const loginsBefore = stack.sim.simulator.counters().logins;
    const r = await login(stack.url, { user: USER, password: PASSWORD });
    assert.equal(r.status, 204, r.text);
    const cookie = firstCookie(r.headers["set-cookie"]);
    assert.match(cookie, /^nimbula=/);
    const line = r.headers["set-cookie"]![0]!;
    const maxAge = Number(/Max-Age=(\d+)/.exec(line)![1]);
    assert.ok(maxAge > 0 && maxAge <= 1800, line);
    assert.match(line, /Path=\//);
    const value = cookie.slice("nimbula=".length);
    assert.equal(decodeClaims(value).user, USER, "the placeholder names the user");
    assert.ok(Buffer.from(value, "base64").toString().includes(PLACEHOLDER_REALM), "it says it is a placeholder");
    assert.notEqual(value, stack.proxy.session.currentCookie(), "the real cookie reached a client");
    assert.equal(stack.sim.simulator.counters().logins, loginsBefore, "the client's login reached the API");

    const headers = { cookie, accept: V3, "content-type": V3 };
    const name = `${USER}/sdk-key`;
    const created = await send(stack.url, "POST", "/sshkey/", {
      headers,
      body: JSON.stringify({ name, key: "ssh-rsa AAAAB3Nza sdk@example.com", enabled: true }),
    });
    assert.equal(created.status, 201, created.text);
    assert.equal((await send(stack.url, "GET", `/sshkey${name}`, { headers })).status, 200);
    stack.sim.simulator.revokeAll();
    const read = await send(stack.url, "GET", `/sshkey${name}`, { headers });
    assert.equal(read.status, 200, read.text);
    assert.equal((await send(stack.url, "DELETE", `/sshkey${name}`, { headers })).status, 204);
  });

  it("GET /refresh/ answers 204 with a fresh placeholder and no upstream call", async () => {
    const before = stack.sim.simulator.counters();
    const r = await send(stack.url, "GET", "/refresh/", { headers: { cookie: "nimbula=whatever" } });
    assert.equal(r.status, 204);
    assert.equal(decodeClaims(firstCookie(r.headers["set-cookie"]).slice(8)).user, USER);
    const after = stack.sim.simulator.counters();
    assert.equal(after.refreshes, before.refreshes);
    assert.equal(after.requests, before.requests);
  });

  const refusals = [
    {
      name: "a wrong password",
      body: { user: USER, password: "wrong" },
      status: 401,
      message: "Incorrect username or password",
    },
    {
      name: "another user",
      body: { user: "/Compute-acme/mallory@example.com", password: PASSWORD },
      status: 401,
      message: "Incorrect username or password",
    },
    { name: "a body that is not JSON", body: "user=x", status: 400, message: "Malformed JSON in request body" },
    {
      name: "JSON without the fields",
      body: { user: USER },
      status: 400,
      message: 'Request body must have string fields "user" and "password"',
    },
    {
      name: "a JSON array",
      body: "[]",
      status: 400,
      message: 'Request body must have string fields "user" and "password"',
    },
    {
      name: "a form content type",
      body: { user: USER, password: PASSWORD },
      type: "application/x-www-form-urlencoded",
      status: 415,
      message: /Unsupported Media Type/,
    },
  ];
  for (const row of refusals) {
    it(`${row.name}: ${row.status} from the proxy, nothing sent to the API, the session untouched`, async () => {
      const before = stack.sim.simulator.counters();
      const held = stack.proxy.session.currentCookie();
      const r = await login(stack.url, row.body, row.type);
      assert.equal(r.status, row.status, r.text);
      assert.ok(!r.headers["set-cookie"], "a refusal set a cookie");
      if (typeof row.message === "string") assert.equal(r.json().message, row.message);
      else assert.match(r.json().message, row.message);
      const after = stack.sim.simulator.counters();
      assert.equal(after.requests, before.requests, "the login went to the API");
      assert.equal(after.failedLogins, 0);
      assert.equal(stack.proxy.session.currentCookie(), held);
      assert.equal(stack.proxy.session.snapshot().consecutiveFailures, 0);
    });
  }

  it("a refused login is logged with the user name only, and counted", async () => {
    await login(stack.url, { user: USER, password: "hunter2-never-logged" });
    const lines = events(stack.logs, "client_login_rejected");
    assert.ok(lines.length >= 1);
    assert.equal(lines.at(-1)!.user, USER);
    assert.ok(!stack.logs.join("\n").includes("hunter2-never-logged"), "the password was logged");
    const metrics = (await send(stack.url, "GET", "/-/metrics")).text;
    assert.match(
      metrics,
      /opc_auth_proxy_client_session_requests_total\{endpoint="authenticate",outcome="rejected"\} [1-9]/,
    );
  });

  it("GET /authenticate/ is 405 with Allow: POST, never forwarded", async () => {
    const before = stack.sim.simulator.counters().requests;
    const r = await send(stack.url, "GET", "/authenticate/");
    assert.equal(r.status, 405);
    assert.equal(r.headers.allow, "POST");
    assert.equal(stack.sim.simulator.counters().requests, before);
  });
});
