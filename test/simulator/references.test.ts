// References are checked as the API checks them (400 for a missing image list, shape, ssh key or
// volume), deletes of something in use get 409, read-only kinds 405, and launch plans answer with
// the created instances, named <name>/<uuid>.

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { api, cookieFor, DIR, startFake, USER } from "../support/simulator.js";

const IMAGE = "/oracle/public/OL_7.2_UEKR4_x86_64";
const vm = (over: Record<string, unknown> = {}) => ({ name: `${USER}/vm`, shape: "oc3", imagelist: IMAGE, ...over });

describe("simulator references", () => {
  let sim: Awaited<ReturnType<typeof startFake>>;
  let cookie: string;
  const call = (method: string, path: string, body?: unknown, headers?: Record<string, string>) =>
    api(sim.url, cookie, method, path, body, headers);
  before(async () => {
    sim = await startFake({ newId: () => "11111111-2222-4333-8444-555555555555" });
    cookie = await cookieFor(sim.url);
    assert.equal((await call("POST", "/imagelist/", { name: `${USER}/empty` })).status, 201);
    assert.equal((await call("POST", "/storage/volume/", { name: `${USER}/v`, size: "1G" })).status, 201);
  });
  after(() => sim.close());

  const refused = [
    { name: "missing shape", instance: vm({ shape: "oc99" }), message: /Shape oc99 does not exist/ },
    {
      name: "missing image list",
      instance: vm({ imagelist: `${USER}/nope` }),
      message: /Image list .* does not exist/,
    },
    { name: "image list without entries", instance: vm({ imagelist: `${USER}/empty` }), message: /has no entries/ },
    { name: "missing ssh key", instance: vm({ sshkeys: [`${USER}/nokey`] }), message: /SSH key .* does not exist/ },
    { name: "no image list or boot order", instance: vm({ imagelist: undefined }), message: /imagelist/ },
    { name: "name with two parts", instance: vm({ name: "/Compute-acme/vm" }), message: /multi-part/ },
    {
      name: "missing storage volume",
      instance: vm({ storage_attachments: [{ index: 1, volume: `${USER}/none` }] }),
      message: /Storage volume .* does not exist/,
    },
    {
      name: "missing ip network",
      instance: vm({ networking: { eth0: { ipnetwork: `${USER}/none` } } }),
      message: /IP network .* does not exist \(networking.eth0\)/,
    },
  ];
  for (const row of refused) {
    it(`a launch plan with a ${row.name} gets 400 and creates nothing`, async () => {
      const r = await call("POST", "/launchplan/", { instances: [row.instance] });
      assert.equal(r.status, 400, r.text);
      assert.match(r.json().message, row.message);
      assert.deepEqual((await call("GET", `/instance${USER}/`)).json(), { result: [] });
    });
  }

  it("launch plans are POST only, and answer with the created instances named <name>/<uuid>", async () => {
    assert.equal((await call("GET", "/launchplan/")).status, 405);
    const r = await call("POST", "/launchplan/", {
      instances: [vm({ storage_attachments: [{ index: 1, volume: `${USER}/v` }] })],
    });
    assert.equal(r.status, 201, r.text);
    const [inst] = r.json().instances;
    assert.equal(inst.name, `${USER}/vm/11111111-2222-4333-8444-555555555555`);
    assert.equal(inst.storage_attachments[0].storage_volume_name, `${USER}/v`);
    assert.deepEqual((await call("GET", `/instance${USER}/vm/`, undefined, { accept: DIR })).json(), {
      result: [inst.name],
    });
    assert.equal((await call("DELETE", `/storage/volume${USER}/v`)).status, 409, "attached at launch");
    assert.equal((await call("DELETE", `/instance${inst.name}`)).status, 204);
    assert.equal((await call("DELETE", `/storage/volume${USER}/v`)).status, 204, "deleting the instance detached it");
  });

  it("an image list with an entry is in use (409) until the entry goes; seeded lists are not the caller's (403)", async () => {
    const list = `${USER}/withentry`;
    assert.equal((await call("POST", "/imagelist/", { name: list })).status, 201);
    const entry = { version: 2, machineimages: ["/oracle/public/OL_7.2_UEKR4_x86_64-17.1.6-20170222-185427"] };
    assert.equal((await call("POST", `/imagelist${list}/entry/`, entry)).status, 201);
    assert.equal((await call("POST", `/imagelist${list}/entry/`, entry)).status, 409, "same version twice");
    assert.equal((await call("DELETE", `/imagelist${list}`)).status, 409);
    assert.equal((await call("DELETE", `/imagelist${list}/entry/2`)).status, 204);
    assert.equal((await call("GET", `/imagelist${list}/entry/2`)).status, 404);
    assert.equal((await call("DELETE", `/imagelist${list}`)).status, 204);
    assert.equal((await call("DELETE", `/imagelist${IMAGE}`)).status, 403);
  });

  it("a security list with a rule naming it is in use (409) until the rule goes", async () => {
    assert.equal((await call("POST", "/seclist/", { name: `${USER}/sl` })).status, 201);
    const rule = {
      name: `${USER}/r`,
      action: "PERMIT",
      application: "/oracle/public/https",
      src_list: "seciplist:/oracle/public/public-internet",
      dst_list: `seclist:${USER}/sl`,
    };
    assert.equal((await call("POST", "/secrule/", rule)).status, 201);
    const busy = await call("DELETE", `/seclist${USER}/sl`);
    assert.equal(busy.status, 409);
    assert.match(busy.json().message, /in use by security rule/);
    assert.equal((await call("DELETE", `/secrule${USER}/r`)).status, 204);
    assert.equal((await call("DELETE", `/seclist${USER}/sl`)).status, 204);
  });

  const readOnly = ["/shape/", "/machineimage/", "/network/v1/vnic/"];
  for (const path of readOnly) {
    it(`${path} is read-only (405 to POST)`, async () => {
      const r = await call("POST", path, { name: `${USER}/x` });
      assert.equal(r.status, 405);
      assert.equal(r.headers.allow, "GET, HEAD");
    });
  }

  it("seeds machine images, image list entries, security applications and IP lists", async () => {
    const entry = (await call("GET", `/imagelist${IMAGE}/entry/1`)).json();
    assert.equal(entry.imagelist, IMAGE);
    assert.equal((await call("GET", `/machineimage${entry.machineimages[0]}`)).json().state, "available");
    assert.equal((await call("GET", "/secapplication/oracle/public/ssh")).json().dport, "22");
    assert.deepEqual((await call("GET", "/seciplist/oracle/public/public-internet")).json().secipentries, [
      "0.0.0.0/0",
    ]);
  });

  it("keeps names byte-exact in generated names too: `%40` is not `@`", async () => {
    const encoded = USER.replace("@", "%40");
    assert.equal((await call("POST", "/seclist/", { name: `${encoded}/pct` })).status, 201);
    assert.equal((await call("GET", `/seclist${encoded}/pct`)).status, 200);
    assert.equal((await call("GET", `/seclist${USER}/pct`)).status, 404);
  });

  it("fault injection applies to the new kinds", async () => {
    sim.simulator.failNext(1, { kind: "status", status: 503 });
    assert.equal((await call("GET", "/storage/volume/")).status, 503);
    assert.equal((await call("GET", "/storage/volume/")).status, 200);
  });
});
