// Owns recognising the API's session endpoints in spellings other than the ones the proxy answers,
// so that no variant (`/Authenticate/`, `/%61uthenticate/`, `/x/../refresh/`) is forwarded with the
// managed cookie.

/** The targets session-endpoints.ts answers (query stripped), by endpoint. */
const EXACT = new Map<string, "authenticate" | "refresh">([
  ["/authenticate/", "authenticate"],
  ["/authenticate", "authenticate"],
  ["/refresh/", "refresh"],
  ["/refresh", "refresh"],
]);

/** Only paths with one of these are looked at closer: every other request pays one regex test. */
const SUSPECT = /uthenticate|efresh|%|\\/i;

/**
 * Which session endpoint `path` (a raw request path, query stripped) names, and whether it is one of
 * the exact spellings answered locally. Names one when, after percent-decoding (repeated, as a
 * chain of servers might), case-folding, `\` read as `/`, `;params` dropped from each segment,
 * empty and `.` segments dropped and `..` applied (RFC 3986 §5.2.4) or ignored (a lax server),
 * it is `/authenticate` or `/refresh`. Returns undefined for anything else (forwarded as usual).
 */
export function sessionPathOf(path: string): { endpoint: "authenticate" | "refresh"; exact: boolean } | undefined {
  const exact = EXACT.get(path);
  if (exact) return { endpoint: exact, exact: true };
  if (!SUSPECT.test(path)) return undefined;
  let text = path;
  for (let i = 0; i < 3 && text.includes("%"); i++) {
    try {
      const next = decodeURIComponent(text);
      if (next === text) break;
      text = next;
    } catch {
      break;
    }
  }
  const resolved: string[] = [];
  const named: string[] = [];
  for (const raw of text.toLowerCase().replaceAll("\\", "/").split("/")) {
    const segment = raw.split(";")[0]!.trim();
    if (segment === "" || segment === ".") continue;
    if (segment === "..") resolved.pop();
    else {
      resolved.push(segment);
      named.push(segment);
    }
  }
  // Resolved as RFC 3986 says, or with the dot segments ignored as a lax server might (`/refresh/..`).
  for (const segments of [resolved, named]) {
    const endpoint = segments.length === 1 ? EXACT.get(`/${segments[0]}`) : undefined;
    if (endpoint) return { endpoint, exact: false };
  }
  return undefined;
}
