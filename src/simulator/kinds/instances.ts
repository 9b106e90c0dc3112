// Owns `launchplan` (POST only: creates the instances it lists, each named <name>/<uuid> as the API
// does) and `instance` (get, list, PUT desired_state/tags/label, delete), after go-oracle-terraform
// compute/instances.go: ContainerPath "/launchplan/", ResourceRootPath "/instance", LaunchPlanResponse.

import { createHash } from "node:crypto";
import { fieldsForCreate, resolve } from "../fields.js";
import { instanceState, type DesiredState } from "../instance-state.js";
import {
  badRequest,
  isoSeconds,
  KindError,
  namePrefix,
  refTo,
  type FieldSpec,
  type KindTable,
  type NewObject,
} from "../kind.js";
import { badName, isMultipartName } from "../resources.js";
import { customerOf } from "../users.js";

/** The fields of one element of a launch plan's `instances` (CreateInstanceInput). */
const INSTANCE_FIELDS: Record<string, FieldSpec> = {
  shape: {
    type: "string",
    required: true,
    updatable: false,
    ref: { label: "Shape", deletable: true, to: (v) => ({ type: "shape", key: `/${v}` }) },
  },
  imagelist: { type: "string", updatable: false, ref: refTo("imagelist", "Image list", { deletable: true }) },
  label: { type: "string" },
  hostname: { type: "string", updatable: false },
  sshkeys: { type: "string[]", default: [], updatable: false, ref: refTo("sshkey", "SSH key", { deletable: true }) },
  tags: { type: "string[]", default: [] },
  attributes: { type: "object", default: {}, updatable: false },
  networking: { type: "object", default: {}, updatable: false },
  boot_order: { type: "array", default: [], updatable: false },
  entry: { type: "integer", updatable: false },
  reverse_dns: { type: "boolean", default: true, updatable: false },
  desired_state: { type: "string", values: ["running", "shutdown"], default: "running" },
  storage_attachments: { type: "array", default: [], updatable: false },
};

type Ctx = Parameters<NonNullable<KindTable["plan"]>>[1];

/** Refuses what the API refuses about an instance's image, volumes and networks (400). */
function launchProblem(f: Record<string, unknown>, ctx: Ctx): KindError | undefined {
  const bootOrder = f.boot_order as unknown[];
  if (f.imagelist === undefined && bootOrder.length === 0) return badRequest('Field "imagelist" is required');
  if (typeof f.imagelist === "string" && ctx.store.list("imagelistentry", `${f.imagelist}/entry/`).length === 0) {
    return badRequest(`Image list ${f.imagelist} has no entries`);
  }
  for (const a of f.storage_attachments as Array<Record<string, unknown>>) {
    if (!Number.isInteger(a?.index) || typeof a?.volume !== "string")
      return badRequest('Each of "storage_attachments" needs an integer "index" and a "volume"');
    if (!ctx.store.get("storage/volume", a.volume)) return badRequest(`Storage volume ${a.volume} does not exist`);
    if (ctx.store.list("storage/attachment", "").some((x) => x.fields.storage_volume_name === a.volume))
      return new KindError(409, `Conflict: storage volume ${a.volume} is already attached`);
  }
  for (const [iface, nic] of Object.entries(f.networking as Record<string, Record<string, unknown>>)) {
    const refs: Array<[string, string, unknown]> = [
      ["network/v1/ipnetwork", "IP network", nic?.ipnetwork],
      ...((nic?.seclists as unknown[] | undefined) ?? []).map((s): [string, string, unknown] => [
        "seclist",
        "Security list",
        s,
      ]),
    ];
    for (const nat of (nic?.nat as unknown[] | undefined) ?? []) {
      const m = typeof nat === "string" ? /^(ipreservation|network\/v1\/ipreservation):(.+)$/.exec(nat) : null;
      if (m)
        refs.push([m[1] === "ipreservation" ? "ip/reservation" : "network/v1/ipreservation", "IP reservation", m[2]]);
    }
    for (const [type, label, v] of refs) {
      if (v === undefined) continue;
      if (typeof v !== "string" || !resolve(ctx.store, { type, key: v }))
        return badRequest(`${label} ${String(v)} does not exist (networking.${iface})`);
    }
  }
  return undefined;
}

/** The objects one instance of a plan creates: the instance, its vnics and its launch-time attachments. */
function launch(body: Record<string, unknown>, ctx: Ctx): NewObject[] | KindError {
  if (!isMultipartName(body.name)) return badName();
  if (customerOf(body.name) !== customerOf(ctx.user))
    return new KindError(403, `Not authorized to change instance ${body.name} outside your identity domain`);
  const f = fieldsForCreate(INSTANCE_FIELDS, body, ctx.store);
  if (f instanceof KindError) return f;
  const problem = launchProblem(f, ctx);
  if (problem) return problem;
  const id = ctx.newId();
  const key = `${body.name}/${id}`;
  const owner = namePrefix(key, 3);
  const out: NewObject[] = [];
  const networking = f.networking as Record<string, Record<string, unknown>>;
  for (const [iface, nic] of Object.entries(networking)) {
    if (typeof nic?.ipnetwork !== "string") continue;
    const vnic = typeof nic.vnic === "string" ? nic.vnic : `${key}_${iface}`;
    networking[iface] = { ...nic, vnic };
    out.push({ type: "network/v1/vnic", key: vnic, fields: vnicFields(vnic, key) });
  }
  for (const a of f.storage_attachments as Array<{ index: number; volume: string }>) {
    const name = `${key}/${ctx.newId()}`;
    const fields = { name, index: a.index, instance_name: key, storage_volume_name: a.volume };
    out.unshift({ type: "storage/attachment", key: name, fields });
  }
  const label = f.label ?? String(body.name).split("/").pop();
  out.unshift({
    type: "instance",
    key,
    fields: { name: key, id, ...f, label, since: ctx.now, vcable_id: `${owner}/${ctx.newId()}` },
  });
  return out;
}

function vnicFields(name: string, instance: string): Record<string, unknown> {
  const h = createHash("sha256").update(name).digest("hex");
  const mac = `c6:b0:${h.slice(0, 8).replace(/(..)(?!$)/g, "$1:")}`;
  return { name, description: "", tags: [], macAddress: mac, transitFlag: false, instance };
}

export const launchplanTable: KindTable = {
  type: "launchplan",
  label: "launch plan",
  ops: { create: true },
  listable: false,
  fields: {},
  plan(body, ctx) {
    const list = body.instances;
    if (!Array.isArray(list) || list.length === 0)
      return badRequest('Field "instances" must be a non-empty array of instances');
    const creates: NewObject[] = [];
    for (const item of list) {
      if (typeof item !== "object" || item === null) return badRequest('Each of "instances" must be an object');
      const objs = launch(item as Record<string, unknown>, ctx);
      if (objs instanceof KindError) return objs;
      creates.push(...objs);
    }
    return {
      creates,
      answer: (rendered) => ({ instances: rendered.filter((r, i) => creates[i]!.type === "instance") }),
    };
  },
};

export const instanceTable: KindTable = {
  type: "instance",
  label: "instance",
  ops: { update: true, delete: true },
  fields: INSTANCE_FIELDS,
  nameMatches: (bodyName, key) => key.startsWith(`${bodyName}/`) && !key.slice(bodyName.length + 1).includes("/"),
  updated(current, next, ctx) {
    if (next.desired_state === current.fields.desired_state) return next;
    return { ...next, since: ctx.now, restart: next.desired_state === "running" };
  },
  hidden: ["since", "restart"],
  cascade(obj, store) {
    const vcable = obj.fields.vcable_id;
    const pick = (type: string, field: string, value: unknown) =>
      store
        .list(type, "")
        .filter((o) => o.fields[field] === value)
        .map((o) => ({ type, key: o.key }));
    return [
      ...pick("network/v1/vnic", "instance", obj.key),
      ...pick("storage/attachment", "instance_name", obj.key),
      ...pick("ip/association", "vcable", vcable),
      ...pick("secassociation", "vcable", vcable),
    ];
  },
  render(obj, ctx) {
    const f = obj.fields;
    const name = String(f.name);
    const domain = `${customerOf(name).toLowerCase()}.oraclecloud.internal.`;
    const storage = ctx.store
      .list("storage/attachment", "")
      .filter((a) => a.fields.instance_name === obj.key)
      .map((a) => ({ index: a.fields.index, name: a.key, storage_volume_name: a.fields.storage_volume_name }));
    return {
      state: instanceState(f.desired_state as DesiredState, Number(f.since), ctx.now, f.restart === true),
      storage_attachments: storage,
      start_time: isoSeconds(obj.createdAt),
      platform: "linux",
      account: `/${customerOf(name)}/default`,
      domain,
      hostname: `${slug(String(f.hostname ?? f.label))}.${domain}`,
      ip: privateIp(name),
      availability_domain: "/uscom-central-1a",
      site: "",
      error_reason: "",
      fingerprint: "",
      image_format: "raw",
      placement_requirements: [`/system/compute/placement/default`],
      priority: "/oracle/public/default",
      quota_reservation: null,
      relationships: [],
      resolvers: [],
      vnc: `${privateIp(name)}:5900`,
    };
  },
};

function slug(label: string): string {
  return (
    label
      .toLowerCase()
      .replace(/[^a-z0-9-]+/g, "-")
      .replace(/^-+|-+$/g, "") || "instance"
  );
}

/** A stable 10.x.y.z address derived from the name, so repeated reads agree. */
function privateIp(name: string): string {
  const h = createHash("sha256").update(name).digest();
  return `10.${h[0]!}.${h[1]!}.${(h[2]! % 254) + 1}`;
}
