// A whole first deployment, as Terraform's OPC provider drives it, sent THROUGH THE PROXY to the
// simulator: ssh key → image list + entry → launch plan → instance running → volume attached →
// IP reservation associated, then torn down in reverse; the fake clock stands in for waiting.

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { INSTANCE_TIMINGS, STORAGE_TIMINGS } from "../../src/simulator/index.js";
import { send, startStack, USER, V3, type Stack } from "../support/stack.js";

describe("first deployment through the proxy", () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack();
  });
  after(() => stack.close());

  const call = async (method: string, path: string, body?: unknown) => {
    const r = await send(stack.url, method, path, {
      headers: { accept: V3, ...(body === undefined ? {} : { "content-type": V3 }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: r.status, body: r.text === "" ? undefined : r.json(), text: r.text };
  };
  const expect = async (status: number, method: string, path: string, body?: unknown) => {
    const r = await call(method, path, body);
    assert.equal(r.status, status, `${method} ${path}: ${r.text}`);
    return r.body;
  };

  it("creates every resource, waits on the clock, and tears down in reverse", async () => {
    const key = `${USER}/deploy-key`;
    const list = `${USER}/deploy-images`;
    await expect(201, "POST", "/sshkey/", { name: key, key: "ssh-rsa AAAAB3Nza deploy@example.com", enabled: true });
    await expect(201, "POST", "/imagelist/", { name: list, description: "deploy", default: 1 });
    const entry = await expect(201, "POST", `/imagelist${list}/entry/`, {
      version: 1,
      machineimages: ["/oracle/public/OL_7.6_UEKR5_x86_64-19.1.2-20190215-212845"],
      attributes: {},
    });
    // URIs point at the proxy (--rewrite-uris, on by default), so a client can follow them.
    assert.equal(entry.uri, `${stack.url}/imagelist${list}/entry/1`);

    const plan = await expect(201, "POST", "/launchplan/", {
      instances: [{ name: `${USER}/web`, shape: "oc3", imagelist: list, sshkeys: [key], label: "web", tags: [] }],
    });
    const vm = plan.instances[0];
    assert.equal(vm.state, "queued");
    await stack.fake!.advance(INSTANCE_TIMINGS.queuedMs + INSTANCE_TIMINGS.initializingMs);
    assert.equal((await expect(200, "GET", `/instance${vm.name}`)).state, "running");

    const volume = `${USER}/web-data`;
    await expect(201, "POST", "/storage/volume/", { name: volume, size: "10737418240", properties: [] });
    const attachment = await expect(201, "POST", "/storage/attachment/", {
      index: 1,
      instance_name: vm.name,
      storage_volume_name: volume,
    });
    await stack.fake!.advance(Math.max(STORAGE_TIMINGS.attachingMs, STORAGE_TIMINGS.volumeInitializingMs));
    assert.equal((await expect(200, "GET", `/storage/attachment${attachment.name}`)).state, "attached");
    assert.equal((await expect(200, "GET", `/storage/volume${volume}`)).status, "Online");
    await expect(409, "DELETE", `/storage/volume${volume}`);

    const reservation = await expect(201, "POST", "/ip/reservation/", {
      name: `${USER}/web-ip`,
      parentpool: "/oracle/public/ippool",
      permanent: true,
    });
    const association = await expect(201, "POST", "/ip/association/", {
      parentpool: `ipreservation:${reservation.name}`,
      vcable: vm.vcable_id,
    });
    assert.equal(association.ip, reservation.ip);
    assert.equal((await expect(200, "GET", `/ip/reservation${reservation.name}`)).used, true);
    await expect(409, "DELETE", `/ip/reservation${reservation.name}`);

    await expect(204, "DELETE", `/ip/association${association.name}`);
    await expect(204, "DELETE", `/ip/reservation${reservation.name}`);
    await expect(204, "DELETE", `/storage/attachment${attachment.name}`);
    await expect(204, "DELETE", `/storage/volume${volume}`);
    await expect(204, "DELETE", `/instance${vm.name}`);
    await expect(404, "GET", `/instance${vm.name}`);
    await expect(204, "DELETE", `/imagelist${list}/entry/1`);
    await expect(204, "DELETE", `/imagelist${list}`);
    await expect(204, "DELETE", `/sshkey${key}`);
    assert.deepEqual(await expect(200, "GET", `/instance${USER}/`), { result: [] });
  });
});
