// Owns the identity-mode options of `serve`: whose credentials the proxy logs in with (the operator's
// configured user, or each client's own), and the bounds of the per-identity session cache.

import { parseDuration, type OptionTable, type Parsed } from "./options.js";

export const IDENTITY_OPTIONS = {
  "identity-mode": { type: "string", env: ["OPC_PROXY_IDENTITY_MODE"] },
  "max-identities": { type: "string", env: ["OPC_PROXY_MAX_IDENTITIES"] },
  "identity-idle-timeout": { type: "string", env: ["OPC_PROXY_IDENTITY_IDLE_TIMEOUT"] },
} as const satisfies OptionTable;

/**
 * `operator`: one session, of the configured --user (the default).
 * `client`: each client brings its own credentials (its own POST /authenticate/, or HTTP Basic) and
 * gets its own managed session; the proxy holds no credentials of its own.
 */
export type IdentityMode = "operator" | "client";

export interface IdentitySettings {
  identityMode: IdentityMode;
  /** Most identities held at once in client mode; the least recently used goes first. */
  maxIdentities: number;
  /** An identity without requests for this long goes, in ms. */
  identityIdleTimeoutMs: number;
}

export const DEFAULT_MAX_IDENTITIES = 100;
export const DEFAULT_IDENTITY_IDLE_TIMEOUT_MS = 30 * 60_000;
/** Upper bound of --max-identities: a session costs memory and timers; more is a deployment problem. */
const MAX_MAX_IDENTITIES = 100_000;

/**
 * Reads the identity options; every problem is pushed to `problems` naming the flag or variable.
 * In client mode the operator's own credentials and session files (`--user`, `--password-file`,
 * `OPC_PASSWORD`, `--cookie-file`, `--state-file`) are refused: the proxy would otherwise hold a session nobody asked for.
 * @param operatorCredentials where each operator credential came from ("--user", "OPC_PASSWORD", …), if set.
 */
export function identitySettings(
  p: Parsed,
  operatorCredentials: readonly (string | undefined)[],
  problems: string[],
): IdentitySettings {
  const modeOpt = p.get("identity-mode");
  let identityMode: IdentityMode = "operator";
  if (modeOpt) {
    const v = modeOpt.value.trim().toLowerCase();
    if (v === "operator" || v === "client") identityMode = v;
    else problems.push(`${modeOpt.from}: "${modeOpt.value}" is not an identity mode; use operator or client`);
  }

  const maxOpt = p.get("max-identities");
  let maxIdentities = DEFAULT_MAX_IDENTITIES;
  if (maxOpt) {
    const n = Number(maxOpt.value);
    if (!/^\d+$/.test(maxOpt.value.trim()) || n < 1 || n > MAX_MAX_IDENTITIES) {
      problems.push(
        `${maxOpt.from}: "${maxOpt.value}" is not a count; use a whole number from 1 to ${MAX_MAX_IDENTITIES}`,
      );
    } else maxIdentities = n;
  }
  const idleOpt = p.get("identity-idle-timeout");
  const idleMs = idleOpt ? parseDuration(idleOpt.value, idleOpt.from, problems) : DEFAULT_IDENTITY_IDLE_TIMEOUT_MS;
  if (idleMs !== undefined && idleMs <= 0) problems.push(`${idleOpt?.from}: must be above 0, e.g. 30m`);

  const given = operatorCredentials.filter((x): x is string => Boolean(x));
  if (identityMode === "client" && given.length > 0) {
    // Name the variable when the mode came from one; the flag needs no repeating.
    const via = modeOpt && modeOpt.from !== "--identity-mode" ? ` (${modeOpt.from})` : "";
    problems.push(
      `${given.join(", ")} ${given.length > 1 ? "are" : "is"} set, but --identity-mode client${via} means each client brings its own credentials: unset ${given.length > 1 ? "them" : "it"}, or use --identity-mode operator`,
    );
  }
  if (identityMode === "operator") {
    const stray = [maxOpt?.from, idleOpt?.from].filter(Boolean);
    if (stray.length > 0) problems.push(`${stray.join(", ")} only apply with --identity-mode client`);
  }
  return { identityMode, maxIdentities, identityIdleTimeoutMs: idleMs ?? DEFAULT_IDENTITY_IDLE_TIMEOUT_MS };
}
