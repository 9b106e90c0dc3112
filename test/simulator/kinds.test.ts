// Every writable kind, one named row each: create 201 with an absolute uri, get (object and
// directory), list, update where the API allows it (else 405), delete 204, 404 after, and the 400s.

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { api, cookieFor, DIR, startFake, USER, V3 } from "../support/simulator.js";

const U = USER;
let seq = 0;
const newId = () => `00000000-0000-4000-8000-${String(++seq).padStart(12, "0")}`;

interface Fixture {
  instance: string;
  vcable: string;
  vnic: string;
}

interface Row {
  name: string;
  path: string;
  body(fx: Fixture): Record<string, unknown>;
  /** A PUT body and the field it must change; undefined when the API offers no update (405). */
  update?: { body: Record<string, unknown>; field: string };
  /** Bodies refused with 400 (or the given status), by name. */
  invalid: Array<{ name: string; body(fx: Fixture): Record<string, unknown>; status?: number }>;
}

const rows: Row[] = [
  {
    name: "sshkey",
    path: "sshkey",
    body: () => ({ name: `${U}/k`, key: "ssh-rsa AAAA" }),
    update: { body: { enabled: false }, field: "enabled" },
    invalid: [{ name: "no key", body: () => ({ name: `${U}/k2` }) }],
  },
  {
    name: "imagelist",
    path: "imagelist",
    body: () => ({ name: `${U}/il`, description: "mine", default: 1 }),
    update: { body: { description: "changed" }, field: "description" },
    invalid: [{ name: "default not an integer", body: () => ({ name: `${U}/il2`, default: "one" }) }],
  },
  {
    name: "storage/volume",
    path: "storage/volume",
    body: () => ({ name: `${U}/vol`, size: "10G", properties: ["/oracle/public/storage/default"] }),
    update: { body: { description: "bigger" }, field: "description" },
    invalid: [
      { name: "no size", body: () => ({ name: `${U}/v2` }) },
      { name: "bad size", body: () => ({ name: `${U}/v2`, size: "ten" }) },
      { name: "missing image list", body: () => ({ name: `${U}/v2`, size: "1G", imagelist: `${U}/none` }) },
    ],
  },
  {
    name: "storage/snapshot",
    path: "storage/snapshot",
    body: () => ({ name: `${U}/fx-vol/snap`, volume: `${U}/fx-vol` }),
    invalid: [{ name: "missing volume", body: () => ({ volume: `${U}/none` }) }],
  },
  {
    name: "seclist",
    path: "seclist",
    body: () => ({ name: `${U}/sl`, policy: "deny", outbound_cidr_policy: "permit" }),
    update: { body: { policy: "permit" }, field: "policy" },
    invalid: [{ name: "unknown policy", body: () => ({ name: `${U}/sl2`, policy: "maybe" }) }],
  },
  {
    name: "seciplist",
    path: "seciplist",
    body: () => ({ name: `${U}/ipl`, secipentries: ["192.0.2.0/24"] }),
    update: { body: { secipentries: ["198.51.100.7"] }, field: "secipentries" },
    invalid: [{ name: "not an address", body: () => ({ name: `${U}/ipl2`, secipentries: ["example.com"] }) }],
  },
  {
    name: "secapplication",
    path: "secapplication",
    body: () => ({ name: `${U}/app`, protocol: "tcp", dport: "8080" }),
    invalid: [
      { name: "tcp without port", body: () => ({ name: `${U}/app2`, protocol: "tcp" }) },
      { name: "unknown protocol", body: () => ({ name: `${U}/app2`, protocol: "carrier-pigeon" }) },
    ],
  },
  {
    name: "secrule",
    path: "secrule",
    body: () => ({
      name: `${U}/rule`,
      action: "PERMIT",
      application: "/oracle/public/ssh",
      src_list: "seciplist:/oracle/public/public-internet",
      dst_list: `seclist:${U}/fx-sl`,
    }),
    update: { body: { disabled: true }, field: "disabled" },
    invalid: [
      {
        name: "missing application",
        body: () => ({
          name: `${U}/r2`,
          action: "PERMIT",
          application: "/oracle/public/nope",
          src_list: "seciplist:/oracle/public/site",
          dst_list: `seclist:${U}/fx-sl`,
        }),
      },
      {
        name: "list without prefix",
        body: () => ({
          name: `${U}/r2`,
          action: "PERMIT",
          application: "/oracle/public/ssh",
          src_list: "/oracle/public/site",
          dst_list: `seclist:${U}/fx-sl`,
        }),
      },
    ],
  },
  {
    name: "secassociation",
    path: "secassociation",
    body: (fx) => ({ name: `${U}/assoc`, seclist: `${U}/fx-sl`, vcable: fx.vcable }),
    invalid: [{ name: "unknown vcable", body: () => ({ seclist: `${U}/fx-sl`, vcable: `${U}/no-such-vcable` }) }],
  },
  {
    name: "ip/reservation",
    path: "ip/reservation",
    body: () => ({ name: `${U}/res`, parentpool: "/oracle/public/ippool", permanent: true }),
    update: { body: { tags: ["web"] }, field: "tags" },
    invalid: [{ name: "no permanent", body: () => ({ parentpool: "/oracle/public/ippool" }) }],
  },
  {
    name: "network/v1/ipnetwork",
    path: "network/v1/ipnetwork",
    body: () => ({ name: `${U}/net`, ipAddressPrefix: "192.168.10.0/24" }),
    update: { body: { description: "lab" }, field: "description" },
    invalid: [{ name: "not a CIDR", body: () => ({ name: `${U}/net2`, ipAddressPrefix: "192.168.1.1" }) }],
  },
  {
    name: "network/v1/ipreservation",
    path: "network/v1/ipreservation",
    body: () => ({ name: `${U}/nres`, ipAddressPool: "/oracle/public/public-ippool" }),
    update: { body: { tags: ["a"] }, field: "tags" },
    invalid: [{ name: "unknown pool", body: () => ({ name: `${U}/nres2`, ipAddressPool: "/oracle/public/mine" }) }],
  },
  {
    name: "network/v1/ipassociation",
    path: "network/v1/ipassociation",
    body: (fx) => ({ name: `${U}/nassoc`, ipAddressReservation: `${U}/fx-nres`, vnic: fx.vnic }),
    invalid: [
      {
        name: "missing vnic",
        body: () => ({ name: `${U}/na2`, ipAddressReservation: `${U}/fx-nres`, vnic: `${U}/none` }),
      },
    ],
  },
];

describe("simulator kinds", () => {
  let sim: Awaited<ReturnType<typeof startFake>>;
  let cookie: string;
  const fx: Fixture = { instance: "", vcable: "", vnic: "" };
  const call = (method: string, path: string, body?: unknown, headers?: Record<string, string>) =>
    api(sim.url, cookie, method, path, body, headers);
  const created = async (path: string, body: unknown) => {
    const r = await call("POST", path, body);
    assert.equal(r.status, 201, `POST ${path}: ${r.text}`);
    return r.json();
  };

  before(async () => {
    sim = await startFake({ newId });
    cookie = await cookieFor(sim.url);
    await created("/storage/volume/", { name: `${U}/fx-vol`, size: "1G" });
    await created("/seclist/", { name: `${U}/fx-sl` });
    await created("/network/v1/ipnetwork/", { name: `${U}/fx-net`, ipAddressPrefix: "10.9.0.0/24" });
    await created("/network/v1/ipreservation/", { name: `${U}/fx-nres` });
    const plan = await created("/launchplan/", {
      instances: [
        {
          name: `${U}/fx-vm`,
          shape: "oc3",
          imagelist: "/oracle/public/OL_7.2_UEKR4_x86_64",
          networking: { eth0: { ipnetwork: `${U}/fx-net` } },
        },
      ],
    });
    const vm = plan.instances[0];
    Object.assign(fx, { instance: vm.name, vcable: vm.vcable_id, vnic: vm.networking.eth0.vnic });
  });
  after(() => sim.close());

  for (const row of rows) {
    describe(row.name, () => {
      it("creates, gets, lists, updates, deletes, then answers 404", async () => {
        const obj = await created(`/${row.path}/`, row.body(fx));
        const at = `/${row.path}${obj.name}`;
        assert.equal(obj.uri, `${sim.url}${at}`);
        assert.deepEqual((await call("GET", at)).json(), obj);
        const list = await call("GET", `/${row.path}/Compute-acme/`, undefined, { accept: V3 });
        assert.ok(
          list.json().result.some((o: any) => o.name === obj.name),
          "in the object list",
        );
        const dir = await call("GET", `/${row.path}${obj.name.slice(0, obj.name.lastIndexOf("/") + 1)}`, undefined, {
          accept: DIR,
        });
        assert.equal(dir.headers["content-type"], DIR);
        assert.ok(dir.json().result.includes(obj.name), `in the directory: ${dir.text}`);
        if (row.update) {
          const put = await call("PUT", at, row.update.body);
          assert.equal(put.status, 200, put.text);
          assert.deepEqual(put.json()[row.update.field], row.update.body[row.update.field]);
        } else {
          assert.equal((await call("PUT", at, {})).status, 405);
        }
        assert.equal((await call("DELETE", at)).status, 204);
        assert.equal((await call("GET", at)).status, 404);
        assert.equal((await call("DELETE", at)).status, 404);
      });
      for (const bad of row.invalid) {
        it(`refuses: ${bad.name}`, async () => {
          const r = await call("POST", `/${row.path}/`, bad.body(fx));
          assert.equal(r.status, bad.status ?? 400, r.text);
          assert.equal(typeof r.json().message, "string");
        });
      }
    });
  }
});
