// Owns the `sshkey` resource: a named public key that instances refer to.

import { KindError, badRequest, fieldProblem, pick, type ResourceKind } from "./kind.js";

export const sshkeyKind: ResourceKind = {
  type: "sshkey",
  writable: true,
  displayName: (key) => key,

  create(name, body) {
    const problem = fieldProblem(body, { key: "string", enabled: "boolean" });
    if (problem) return problem;
    if (typeof body.key !== "string" || body.key.trim() === "") return badRequest('Field "key" is required');
    return { name, key: body.key, enabled: body.enabled ?? true };
  },

  update(current, body): Record<string, unknown> | KindError {
    const problem = fieldProblem(body, { key: "string", enabled: "boolean" });
    if (problem) return problem;
    if (body.key !== undefined && (body.key as string).trim() === "")
      return badRequest('Field "key" must not be empty');
    return { ...current.fields, ...pick(body, ["key", "enabled"]) };
  },

  render: (obj, _now, uri) => ({ ...obj.fields, uri }),
};
