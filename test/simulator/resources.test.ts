// Resources follow the API's semantics: status codes, absolute uris, multi-part raw names, the
// trailing-slash and directory-Accept listing rules, and instance states that move with the clock.

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { api, cookieFor, DIR, send, startFake, USER, V3 } from "../support/simulator.js";
import { INSTANCE_TIMINGS } from "../../src/simulator/index.js";

const PUBLIC = "https://compute.uscom-central-1.oraclecloud.com:443";
const key = (name: string) => ({ name: `${USER}/${name}`, key: "ssh-rsa AAAAB3Nza test@example.com" });

describe("simulator resources", () => {
  let sim: Awaited<ReturnType<typeof startFake>>;
  let cookie: string;
  before(async () => {
    sim = await startFake({
      publicUrl: PUBLIC,
      users: [
        { user: USER, password: "pw" },
        { user: "/Compute-other/eve", password: "pw" },
      ],
    });
    cookie = await cookieFor(sim.url, USER, "pw");
  });
  after(() => sim.close());

  it("creates (201, absolute uri), refuses duplicates (409), gets, updates (200) and deletes (204)", async () => {
    const created = await api(sim.url, cookie, "POST", "/sshkey/", key("k1"));
    assert.equal(created.status, 201);
    assert.equal(created.headers["content-type"], V3);
    const body = created.json();
    assert.equal(body.name, `${USER}/k1`);
    assert.equal(body.enabled, true);
    assert.equal(body.uri, `${PUBLIC}/sshkey${USER}/k1`);

    const dup = await api(sim.url, cookie, "POST", "/sshkey/", key("k1"));
    assert.equal(dup.status, 409);
    assert.equal(typeof dup.json().message, "string");

    const got = await api(sim.url, cookie, "GET", `/sshkey${USER}/k1`);
    assert.equal(got.status, 200);
    assert.deepEqual(got.json(), body);

    const updated = await api(sim.url, cookie, "PUT", `/sshkey${USER}/k1`, { enabled: false });
    assert.equal(updated.status, 200);
    assert.equal(updated.json().enabled, false);
    assert.equal(updated.json().key, body.key);

    const deleted = await api(sim.url, cookie, "DELETE", `/sshkey${USER}/k1`);
    assert.equal(deleted.status, 204);
    assert.equal(deleted.text, "");
    assert.equal((await api(sim.url, cookie, "GET", `/sshkey${USER}/k1`)).status, 404);
    assert.equal((await api(sim.url, cookie, "DELETE", `/sshkey${USER}/k1`)).status, 404);
    assert.equal((await api(sim.url, cookie, "PUT", `/sshkey${USER}/k1`, { enabled: true })).status, 404);
  });

  it("answers 404, 405, 406, 415 and 400 with a JSON message", async () => {
    const cases: Array<[number, Promise<{ status: number; json(): any }>]> = [
      [404, api(sim.url, cookie, "GET", "/nosuchtype/")],
      [404, api(sim.url, cookie, "GET", `/sshkey${USER}/missing`)],
      [405, api(sim.url, cookie, "POST", "/shape/", { name: "oc99" })],
      [405, api(sim.url, cookie, "DELETE", "/shape/oc3")],
      [405, api(sim.url, cookie, "DELETE", `/sshkey${USER}/`)],
      [405, api(sim.url, cookie, "POST", `/sshkey${USER}/x`, key("x"))],
      [405, api(sim.url, cookie, "PATCH", `/sshkey${USER}/x`, key("x"))],
      [406, api(sim.url, cookie, "GET", "/shape/", undefined, { accept: "text/html" })],
      [
        415,
        send(sim.url, "POST", "/sshkey/", {
          headers: { cookie: `nimbula=${cookie}`, "content-type": "text/plain" },
          body: "{}",
        }),
      ],
      [
        400,
        send(sim.url, "POST", "/sshkey/", {
          headers: { cookie: `nimbula=${cookie}`, "content-type": V3 },
          body: "{bad",
        }),
      ],
      [400, api(sim.url, cookie, "POST", "/sshkey/", { name: "/Compute-acme/only-two", key: "k" })],
      [400, api(sim.url, cookie, "POST", "/sshkey/", { name: `${USER}/nokey` })],
      [403, api(sim.url, cookie, "POST", "/sshkey/", { name: "/Compute-other/eve/k", key: "k" })],
    ];
    for (const [status, pending] of cases) {
      const r = await pending;
      assert.equal(r.status, status);
      assert.equal(typeof r.json().message, "string");
    }
    const r405 = await api(sim.url, cookie, "DELETE", "/shape/oc3");
    assert.equal(r405.headers.allow, "GET, HEAD");
  });

  it("lists full objects for a container with a trailing slash, names with the directory Accept or without the slash", async () => {
    for (const n of ["a", "b"]) assert.equal((await api(sim.url, cookie, "POST", "/sshkey/", key(n))).status, 201);
    const objects = await api(sim.url, cookie, "GET", "/sshkey/Compute-acme/", undefined, { accept: V3 });
    assert.equal(objects.status, 200);
    assert.deepEqual(
      objects.json().result.map((o: any) => o.name),
      [`${USER}/a`, `${USER}/b`],
    );
    assert.ok(objects.json().result.every((o: any) => typeof o.key === "string" && o.uri.startsWith(PUBLIC)));

    const dir = await api(sim.url, cookie, "GET", "/sshkey/Compute-acme/", undefined, { accept: DIR });
    assert.equal(dir.headers["content-type"], DIR);
    assert.deepEqual(dir.json(), { result: [`${USER}/`] });

    const noSlash = await api(sim.url, cookie, "GET", "/sshkey/Compute-acme");
    assert.deepEqual(noSlash.json(), { result: [`${USER}/`] });

    const userDir = await api(sim.url, cookie, "GET", `/sshkey${USER}/`, undefined, { accept: DIR });
    assert.deepEqual(userDir.json(), { result: [`${USER}/a`, `${USER}/b`] });
    const userNoSlash = await api(sim.url, cookie, "GET", `/sshkey${USER}`);
    assert.deepEqual(userNoSlash.json(), { result: [`${USER}/a`, `${USER}/b`] });

    const empty = await api(sim.url, cookie, "GET", "/sshkey/Compute-nobody/");
    assert.deepEqual(empty.json(), { result: [] });
  });

  it("treats names as raw bytes: `@` and `%40` are different names", async () => {
    const encodedUser = USER.replace("@", "%40");
    const r1 = await api(sim.url, cookie, "POST", "/sshkey/", { name: `${encodedUser}/pct`, key: "k" });
    assert.equal(r1.status, 201);
    assert.equal(r1.json().uri, `${PUBLIC}/sshkey${encodedUser}/pct`);
    assert.equal((await api(sim.url, cookie, "GET", `/sshkey${encodedUser}/pct`)).status, 200);
    assert.equal((await api(sim.url, cookie, "GET", `/sshkey${USER}/pct`)).status, 404);

    assert.equal(
      (await api(sim.url, cookie, "POST", "/sshkey/", { name: `${USER}/deep/er/name`, key: "k" })).status,
      201,
    );
    const deep = await api(sim.url, cookie, "GET", `/sshkey${USER}/deep/er/name`);
    assert.equal(deep.json().name, `${USER}/deep/er/name`);
    assert.deepEqual((await api(sim.url, cookie, "GET", `/sshkey${USER}/deep`)).json(), {
      result: [`${USER}/deep/er/`],
    });
    assert.equal(
      (await api(sim.url, cookie, "GET", `/sshkey${USER}/./deep/er/name`)).status,
      404,
      "no dot-segment collapsing",
    );
  });

  it("serves the seeded read-only catalogue", async () => {
    const shapes = await api(sim.url, cookie, "GET", "/shape/");
    const names = shapes.json().result.map((s: any) => s.name);
    assert.ok(names.includes("oc3") && names.includes("oc5m"));
    const oc3 = await api(sim.url, cookie, "GET", "/shape/oc3");
    assert.deepEqual([oc3.json().cpus, oc3.json().ram, oc3.json().uri], [2, 7680, `${PUBLIC}/shape/oc3`]);
    const images = await api(sim.url, cookie, "GET", "/imagelist/oracle/public/");
    assert.ok(images.json().result.length >= 3);
    assert.ok(images.json().result.every((i: any) => i.name.startsWith("/oracle/public/") && i.entries.length === 1));
    const dir = await api(sim.url, cookie, "GET", "/imagelist/oracle/public/", undefined, { accept: DIR });
    assert.ok(dir.json().result.includes("/oracle/public/OL_7.2_UEKR4_x86_64"));
  });

  it("launches an instance through /launchplan/ and moves it queued → initializing → running, then stops and restarts it", async () => {
    const name = `${USER}/vm1`;
    const body = { name, shape: "oc3", imagelist: "/oracle/public/OL_7.2_UEKR4_x86_64" };
    assert.equal(
      (await api(sim.url, cookie, "POST", "/instance/", body)).status,
      405,
      "the API has no POST /instance/",
    );
    assert.equal(
      (await api(sim.url, cookie, "POST", "/launchplan/", { instances: [{ ...body, shape: "oc99" }] })).status,
      400,
    );
    const created = await api(sim.url, cookie, "POST", "/launchplan/", { instances: [body] });
    assert.equal(created.status, 201);
    const [vm] = created.json().instances;
    assert.match(vm.name, new RegExp(`^${name}/[0-9a-f-]{36}$`));
    assert.equal(vm.state, "queued");
    const state = async () => (await api(sim.url, cookie, "GET", `/instance${vm.name}`)).json().state;
    await sim.clock.advance(INSTANCE_TIMINGS.queuedMs);
    assert.equal(await state(), "initializing");
    await sim.clock.advance(INSTANCE_TIMINGS.initializingMs);
    assert.equal(await state(), "running");

    const put = await api(sim.url, cookie, "PUT", `/instance${vm.name}`, { name, desired_state: "shutdown" });
    assert.equal(put.status, 200);
    assert.equal(put.json().state, "stopping");
    await sim.clock.advance(INSTANCE_TIMINGS.stoppingMs);
    assert.equal(await state(), "shutdown");
    assert.equal(
      (await api(sim.url, cookie, "PUT", `/instance${vm.name}`, { desired_state: "running" })).json().state,
      "starting",
    );
    await sim.clock.advance(INSTANCE_TIMINGS.startingMs);
    assert.equal(await state(), "running");
    assert.equal((await api(sim.url, cookie, "DELETE", `/instance${vm.name}`)).status, 204);
  });
});

describe("simulator uri origin", () => {
  it("defaults to its own listening origin", async () => {
    const sim = await startFake();
    try {
      const cookie = await cookieFor(sim.url);
      const r = await api(sim.url, cookie, "GET", "/shape/oc4");
      assert.equal(r.json().uri, `${sim.url}/shape/oc4`);
    } finally {
      await sim.close();
    }
  });
});
