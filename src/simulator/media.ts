// Owns the Compute API's media types and the Accept / Content-Type rules the simulator applies
// (design facts 1 and 7): which types it reads, which it can answer with, and which listing style.

export const V3_JSON = "application/oracle-compute-v3+json";
export const V3_DIRECTORY_JSON = "application/oracle-compute-v3+directory+json";

/** The media type of a Content-Type or Accept item, without parameters, lowercased. */
export function mediaType(value: string | undefined): string {
  return (value ?? "").split(";")[0]!.trim().toLowerCase();
}

/** True when a request body is declared as the v3 JSON type (parameters such as charset allowed). */
export function isV3Json(contentType: string | undefined): boolean {
  return mediaType(contentType) === V3_JSON;
}

export type Answer = "objects" | "names" | "default";

/**
 * What an Accept header asks for: "names" for the directory type, "objects" for the v3 type or
 * plain JSON, "default" when absent or a wildcard, undefined when nothing acceptable (406).
 */
export function negotiate(accept: string | undefined): Answer | undefined {
  if (accept === undefined || accept.trim() === "") return "default";
  let wildcard = false;
  let objects = false;
  for (const item of accept.split(",")) {
    const [type, ...params] = item.split(";");
    const t = (type ?? "").trim().toLowerCase();
    if (params.some((p) => /^\s*q\s*=\s*0(?:\.0*)?\s*$/i.test(p))) continue;
    if (t === V3_DIRECTORY_JSON) return "names";
    if (t === V3_JSON || t === "application/json") objects = true;
    else if (t === "*/*" || t === "application/*") wildcard = true;
  }
  if (objects) return "objects";
  return wildcard ? "default" : undefined;
}
