// Owns the shape of one simulator's state: everything the routes read and change, held by one
// Simulator value (no module-level state), with the options resolved to their defaults.

import type { Clock } from "../clock.js";
import type { Logger } from "../log.js";
import type { Delays, FaultQueue } from "./faults.js";
import type { KindTable } from "./kind.js";
import type { Sessions } from "./sessions.js";
import type { ObjectStore } from "./store.js";
import type { CookieFormat, TokenSigner } from "./token.js";
import type { Users } from "./users.js";

export interface SimulatorCounters {
  /** API requests (everything outside /-/sim/). */
  requests: number;
  /** Successful logins. */
  logins: number;
  /** Logins refused for wrong credentials. */
  failedLogins: number;
  /** Successful refreshes. */
  refreshes: number;
  /** 401 responses served, for any reason. */
  unauthorized: number;
}

export interface ResolvedOptions {
  tokenTtlMs: number;
  sessionTtlMs: number;
  cookieFormat: CookieFormat;
  realm: string;
  maxObjects: number;
  maxSessions: number;
  maxBodyBytes: number;
}

export interface SimState {
  readonly options: ResolvedOptions;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly users: Users;
  readonly signer: TokenSigner;
  readonly sessions: Sessions;
  readonly store: ObjectStore;
  readonly faults: FaultQueue;
  readonly delays: Delays;
  readonly counters: SimulatorCounters;
  /** The resource kinds served, in routing order (longest path first). */
  readonly tables: readonly KindTable[];
  /** Makes the UUIDs in generated names (injected randomness). */
  readonly newId: () => string;
  /** Ordinary responses still to carry a rotated cookie (design fact 3). */
  rotatePending: number;
  /** Origin written into `uri` fields; undefined means "the origin the request was sent to". */
  publicUrl: string | undefined;
}
