// Owns the `instance` resource: a virtual machine that names a shape, an image list and ssh keys,
// and whose state moves from queued through starting to running (or stopping to shutdown) over time.

import { createHash } from "node:crypto";
import { badRequest, fieldProblem, pick, type KindContext, type KindError, type ResourceKind } from "./kind.js";
import { instanceState, type DesiredState } from "./instance-state.js";
import { customerOf } from "./users.js";

const FIELD_TYPES = {
  shape: "string",
  imagelist: "string",
  label: "string",
  sshkeys: "string[]",
  tags: "string[]",
  desired_state: "string",
} as const;

export const instanceKind: ResourceKind = {
  type: "instance",
  writable: true,
  displayName: (key) => key,

  create(name, body, ctx) {
    const problem = fieldProblem(body, FIELD_TYPES) ?? references(body, ctx);
    if (problem) return problem;
    if (typeof body.shape !== "string") return badRequest('Field "shape" is required');
    if (typeof body.imagelist !== "string") return badRequest('Field "imagelist" is required');
    const desired = desiredState(body.desired_state ?? "running");
    if (typeof desired !== "string") return desired;
    return {
      name,
      label: body.label ?? name.split("/").pop(),
      shape: body.shape,
      imagelist: body.imagelist,
      sshkeys: body.sshkeys ?? [],
      tags: body.tags ?? [],
      desired_state: desired,
      since: ctx.now,
    };
  },

  update(current, body, ctx) {
    const problem = fieldProblem(body, { label: "string", tags: "string[]", desired_state: "string" });
    if (problem) return problem;
    const next = { ...current.fields, ...pick(body, ["label", "tags"]) };
    if (body.desired_state !== undefined) {
      const desired = desiredState(body.desired_state);
      if (typeof desired !== "string") return desired;
      if (desired !== current.fields.desired_state) Object.assign(next, { desired_state: desired, since: ctx.now });
    }
    return next;
  },

  render(obj, now, uri) {
    const f = obj.fields;
    const name = String(f.name);
    const domain = `${customerOf(name).toLowerCase()}.oraclecloud.internal.`;
    return {
      name,
      label: f.label,
      shape: f.shape,
      imagelist: f.imagelist,
      sshkeys: f.sshkeys,
      tags: f.tags,
      desired_state: f.desired_state,
      state: instanceState(f.desired_state as DesiredState, Number(f.since), now),
      start_time: new Date(obj.createdAt).toISOString().replace(/\.\d{3}Z$/, "Z"),
      platform: "linux",
      account: `/${customerOf(name)}/default`,
      domain,
      hostname: `${slug(String(f.label))}.${domain}`,
      ip: privateIp(name),
      site: "",
      error_reason: "",
      uri,
    };
  },
};

function desiredState(v: unknown): DesiredState | KindError {
  return v === "running" || v === "shutdown" ? v : badRequest('Field "desired_state" must be "running" or "shutdown"');
}

/** Refuses a body whose shape, image list or ssh keys do not exist, as the API does. */
function references(body: Record<string, unknown>, ctx: KindContext): KindError | undefined {
  if (typeof body.shape === "string" && !ctx.lookup("shape", `/${body.shape}`))
    return badRequest(`Shape ${body.shape} does not exist`);
  if (typeof body.imagelist === "string" && !ctx.lookup("imagelist", body.imagelist)) {
    return badRequest(`Image list ${body.imagelist} does not exist`);
  }
  for (const key of (body.sshkeys as string[] | undefined) ?? []) {
    if (!ctx.lookup("sshkey", key)) return badRequest(`SSH key ${key} does not exist`);
  }
  return undefined;
}

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
  return `10.${h[0]! % 256}.${h[1]! % 256}.${(h[2]! % 254) + 1}`;
}
