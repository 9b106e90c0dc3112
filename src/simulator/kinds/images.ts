// Owns the tables of the key and image kinds: `sshkey`, `shape` (seeded), `machineimage` (seeded),
// `imagelist` and its `entry` sub-resource (paths and fields from go-oracle-terraform compute/image_list*.go).

import { KindError, refTo, type KindTable } from "../kind.js";

export const sshkeyTable: KindTable = {
  type: "sshkey",
  label: "SSH key",
  ops: { create: true, update: true, delete: true },
  fields: {
    key: { type: "string", required: true, nonEmpty: true },
    enabled: { type: "boolean", default: true },
  },
};

export const shapeTable: KindTable = {
  type: "shape",
  label: "shape",
  ops: {},
  fields: {},
  display: (key) => key.replace(/^\//, ""),
};

/** Seeded only: uploading machine images (the `file` in object storage) is not simulated. */
export const machineimageTable: KindTable = {
  type: "machineimage",
  label: "machine image",
  ops: {},
  fields: {},
};

const ENTRY = "/entry/";

/** `/imagelist/<list>/entry/` (POST) and `/imagelist/<list>/entry/<version>` (GET, DELETE). */
export const imagelistEntryTable: KindTable = {
  type: "imagelistentry",
  path: "imagelist",
  label: "image list entry",
  unnamed: true,
  ops: { create: true, delete: true },
  fields: {
    version: { type: "integer", required: true },
    machineimages: {
      type: "string[]",
      required: true,
      ref: refTo("machineimage", "Machine image", { deletable: true }),
    },
    attributes: { type: "object", default: {} },
    imagelist: { type: "string", ref: refTo("imagelist", "Image list"), updatable: false },
  },
  key(fields, ctx, container) {
    const list = container.slice(0, -ENTRY.length);
    if (!ctx.store.get("imagelist", list)) return new KindError(404, `imagelist ${list} does not exist`);
    if ((fields.version as number) < 1) return new KindError(400, 'Field "version" must be 1 or more');
    return `${list}${ENTRY}${String(fields.version)}`;
  },
  init: (_fields, key) => ({ imagelist: key.slice(0, key.lastIndexOf(ENTRY)) }),
};

export const imagelistTable: KindTable = {
  type: "imagelist",
  label: "image list",
  ops: { create: true, update: true, delete: true },
  fields: {
    description: { type: "string", default: "" },
    default: { type: "integer", default: 1 },
  },
  child: { segment: "entry", table: imagelistEntryTable },
  render(obj, ctx) {
    const entries = ctx.store.list("imagelistentry", `${obj.key}${ENTRY}`).map((e) => ({
      ...e.fields,
      uri: ctx.uri("imagelist", e.key),
    }));
    return { entries };
  },
};
