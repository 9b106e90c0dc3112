// Owns the storage tables: `storage/volume`, `storage/attachment` (name generated as
// <instance>/<uuid>) and `storage/snapshot`, with the states go-oracle-terraform waits for
// (compute/storage_volumes.go: status "Online"; storage_volume_attachments.go: state "attached";
// storage_volume_snapshots.go: status "completed").

import { badRequest, isoSeconds, KindError, phase, refTo, type KindTable } from "../kind.js";
import { isMultipartName } from "../resources.js";
import { customerOf } from "../users.js";

/** How long each storage state lasts (ms) before the one SDKs wait for. */
export const STORAGE_TIMINGS = {
  volumeInitializingMs: 10_000,
  attachingMs: 10_000,
  snapshotCreatingMs: 20_000,
} as const;

/** Bytes, or a number with a K/M/G/T suffix (the API accepts both, e.g. "10737418240" or "10G"). */
const SIZE = /^[1-9]\d*[KMGTkmgt]?$/;

export const volumeTable: KindTable = {
  type: "storage/volume",
  label: "storage volume",
  ops: { create: true, update: true, delete: true },
  fields: {
    size: { type: "string", required: true },
    properties: { type: "string[]", default: ["/oracle/public/storage/default"], updatable: false },
    description: { type: "string", default: "" },
    tags: { type: "string[]", default: [] },
    bootable: { type: "boolean", default: false, updatable: false },
    imagelist: { type: "string", updatable: false, ref: refTo("imagelist", "Image list", { deletable: true }) },
    imagelist_entry: { type: "integer", updatable: false },
    snapshot: { type: "string", updatable: false, ref: refTo("storage/snapshot", "Snapshot", { deletable: true }) },
  },
  check: (f) => (SIZE.test(String(f.size)) ? undefined : badRequest('Field "size" must be bytes or a size like "10G"')),
  render(obj, ctx) {
    const status = phase(
      [
        ["Initializing", STORAGE_TIMINGS.volumeInitializingMs],
        ["Online", 0],
      ],
      ctx.now - obj.createdAt,
    );
    return {
      account: `/${customerOf(obj.key)}/default`,
      status,
      status_detail: "",
      status_timestamp: isoSeconds(obj.updatedAt),
      hypervisor: null,
      platform: "linux",
      managed: true,
      readonly: false,
      storage_pool: "/compute-sim-z1/storagepool/iscsi/latency_1",
      machineimage_name: "",
      writecache: false,
    };
  },
};

export const attachmentTable: KindTable = {
  type: "storage/attachment",
  label: "storage attachment",
  ops: { create: true, delete: true },
  fields: {
    index: { type: "integer", required: true, values: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10] },
    instance_name: { type: "string", required: true, ref: refTo("instance", "Instance", { deletable: true }) },
    storage_volume_name: { type: "string", required: true, ref: refTo("storage/volume", "Storage volume") },
  },
  unique: [["storage_volume_name"], ["instance_name", "index"]],
  key: (f, ctx) => `${String(f.instance_name)}/${ctx.newId()}`,
  render(obj, ctx) {
    const state = phase(
      [
        ["attaching", STORAGE_TIMINGS.attachingMs],
        ["attached", 0],
      ],
      ctx.now - obj.createdAt,
    );
    return { state, account: null, hypervisor: null, readonly: false };
  },
};

export const snapshotTable: KindTable = {
  type: "storage/snapshot",
  label: "storage snapshot",
  ops: { create: true, delete: true },
  fields: {
    volume: { type: "string", required: true, ref: refTo("storage/volume", "Storage volume", { deletable: true }) },
    description: { type: "string", default: "" },
    tags: { type: "string[]", default: [] },
    property: { type: "string", default: "/oracle/public/storage/snapshot/default" },
    parent_volume_bootable: { type: "string", values: ["true", "false"], default: "false" },
  },
  key(f, ctx) {
    if (f.name === undefined) return `${String(f.volume)}/${ctx.newId()}`;
    return isMultipartName(f.name) ? f.name : new KindError(400, 'Field "name" must be a multi-part name');
  },
  init: (f, _key, ctx) => ({
    snapshot_id: ctx.newId().replace(/-/g, ""),
    size: String(ctx.store.get("storage/volume", String(f.volume))?.fields.size ?? "0"),
  }),
  render(obj, ctx) {
    const status = phase(
      [
        ["creating", STORAGE_TIMINGS.snapshotCreatingMs],
        ["completed", 0],
      ],
      ctx.now - obj.createdAt,
    );
    return {
      account: `/${customerOf(obj.key)}/default`,
      status,
      status_detail: "",
      status_timestamp: isoSeconds(obj.updatedAt),
      start_timestamp: isoSeconds(obj.createdAt),
      snapshot_timestamp: isoSeconds(obj.createdAt),
      platform: "linux",
      machineimage_name: "",
    };
  },
};
