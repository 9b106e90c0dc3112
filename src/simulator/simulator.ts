// Owns the Simulator value: resolves options, holds one simulator's state, builds its app, and
// offers the programmatic controls tests use instead of the /-/sim/ endpoints.

import { randomUUID } from "node:crypto";
import type { Hono } from "hono";
import { systemClock, type Clock } from "../clock.js";
import { silentLogger, type Logger } from "../log.js";
import { buildApp } from "./app.js";
import { seedCatalog } from "./catalog.js";
import type { SimControls, SimulatorStatus } from "./control.js";
import { Delays, FaultQueue, type Fault } from "./faults.js";
import type { SimEnv } from "./http-util.js";
import { KIND_TABLES } from "./kinds/index.js";
import { routingOrder } from "./resources.js";
import { Sessions } from "./sessions.js";
import type { ResolvedOptions, SimState, SimulatorCounters } from "./state.js";
import { ObjectStore } from "./store.js";
import { TokenSigner, type CookieFormat } from "./token.js";
import { Users } from "./users.js";

export interface SimulatorOptions {
  /** Accounts that may log in; `user` has the two-part form, e.g. "/Compute-acme/jack.jones@example.com". */
  users: Array<{ user: string; password: string }>;
  /** Token lifetime; default 1800. */
  tokenTtlSeconds?: number;
  /** Session lifetime from login; default 10800. */
  sessionTtlSeconds?: number;
  /** Origin written into `uri` fields; default: the origin the request was sent to (startSimulator: its listening origin). */
  publicUrl?: string;
  clock?: Clock;
  /** "raw" sends the nested JSON unencoded, as older installations do; default "base64". */
  cookieFormat?: CookieFormat;
  /** Objects clients may create; default 10000. Past it, POST answers 507. */
  maxObjects?: number;
  /** Live sessions; default 10000. Past it, login answers 507. */
  maxSessions?: number;
  /** Largest request body; default 1 MiB. Past it, 413. */
  maxBodyBytes?: number;
  /** The `realm` inside cookies; default "compute-sim-z1". */
  realm?: string;
  logger?: Logger;
  /** Makes the UUIDs in generated names (instances, attachments, associations); default crypto.randomUUID. */
  newId?: () => string;
}

export const DEMO_USER = "/Compute-acme/jack.jones@example.com";
export const DEMO_PASSWORD = "demo-password";

export const SIMULATOR_DEFAULTS = {
  tokenTtlSeconds: 1800,
  sessionTtlSeconds: 10800,
  maxObjects: 10_000,
  maxSessions: 10_000,
  maxBodyBytes: 1024 * 1024,
  realm: "compute-sim-z1",
} as const;

const TABLES = routingOrder(KIND_TABLES);

/** Why options are unusable, one message per problem. */
export function simulatorOptionProblems(opts: SimulatorOptions): string[] {
  const problems: string[] = [];
  const positive = (name: keyof SimulatorOptions, v: unknown): void => {
    if (v !== undefined && !(typeof v === "number" && Number.isFinite(v) && v > 0))
      problems.push(`${name} must be a positive number`);
  };
  positive("tokenTtlSeconds", opts.tokenTtlSeconds);
  positive("sessionTtlSeconds", opts.sessionTtlSeconds);
  for (const n of ["maxObjects", "maxSessions", "maxBodyBytes"] as const) {
    const v = opts[n];
    if (v !== undefined && !(Number.isInteger(v) && v > 0)) problems.push(`${n} must be a positive integer`);
  }
  if (opts.cookieFormat !== undefined && opts.cookieFormat !== "base64" && opts.cookieFormat !== "raw") {
    problems.push('cookieFormat must be "base64" or "raw"');
  }
  if (opts.realm !== undefined && !/^[A-Za-z0-9._-]+$/.test(opts.realm))
    problems.push("realm may hold only letters, digits, . _ -");
  if (opts.publicUrl !== undefined && !/^https?:\/\/[^/?#\s]+$/.test(opts.publicUrl.replace(/\/$/, ""))) {
    problems.push("publicUrl must be an origin like https://api.example.com or http://127.0.0.1:8081");
  }
  return problems;
}

export class Simulator implements SimControls {
  readonly app: Hono<SimEnv>;
  private readonly state: SimState;

  constructor(opts: SimulatorOptions) {
    const problems = simulatorOptionProblems(opts);
    if (problems.length > 0) throw new Error(`simulator options: ${problems.join("; ")}`);
    const d = SIMULATOR_DEFAULTS;
    const options: ResolvedOptions = {
      tokenTtlMs: (opts.tokenTtlSeconds ?? d.tokenTtlSeconds) * 1000,
      sessionTtlMs: (opts.sessionTtlSeconds ?? d.sessionTtlSeconds) * 1000,
      cookieFormat: opts.cookieFormat ?? "base64",
      realm: opts.realm ?? d.realm,
      maxObjects: opts.maxObjects ?? d.maxObjects,
      maxSessions: opts.maxSessions ?? d.maxSessions,
      maxBodyBytes: opts.maxBodyBytes ?? d.maxBodyBytes,
    };
    const clock = opts.clock ?? systemClock;
    const store = new ObjectStore(options.maxObjects);
    seedCatalog(store, clock.now());
    this.state = {
      options,
      clock,
      logger: opts.logger ?? silentLogger,
      users: new Users(opts.users),
      signer: new TokenSigner(),
      sessions: new Sessions(options.tokenTtlMs, options.sessionTtlMs, options.maxSessions),
      store,
      faults: new FaultQueue(),
      delays: new Delays(),
      counters: { requests: 0, logins: 0, failedLogins: 0, refreshes: 0, unauthorized: 0 },
      rotatePending: 0,
      tables: TABLES,
      newId: opts.newId ?? randomUUID,
      publicUrl: opts.publicUrl?.replace(/\/$/, ""),
    };
    this.app = buildApp(this.state, this);
  }

  /** The origin in `uri` fields; undefined means "the origin each request was sent to". */
  get publicUrl(): string | undefined {
    return this.state.publicUrl;
  }

  set publicUrl(origin: string | undefined) {
    this.state.publicUrl = origin?.replace(/\/$/, "");
  }

  /** Ends every session: every token issued so far is refused. Returns how many sessions ended. */
  revokeAll(): number {
    const n = this.state.sessions.revokeAll();
    this.state.logger.info({ sessions: n }, "simulator: revoked every session");
    return n;
  }

  /** Changes a user's password (or adds the user); existing sessions stay valid. */
  setPassword(user: string, password: string): void {
    this.state.users.setPassword(user, password);
  }

  /** The next `count` API requests (after those already queued) meet `fault`. */
  failNext(count: number, fault: Fault): void {
    this.state.faults.push(count, fault);
  }

  clearFaults(): void {
    this.state.faults.clear();
  }

  /** The next `count` 200/201/204 resource responses carry a fresh `Set-Cookie: nimbula=…`. */
  rotateCookieNext(count: number): void {
    if (!Number.isInteger(count) || count < 0) throw new RangeError("count must be a non-negative integer");
    this.state.rotatePending += count;
  }

  counters(): SimulatorCounters {
    return { ...this.state.counters };
  }

  status(): SimulatorStatus {
    return {
      counters: this.counters(),
      sessions: this.state.sessions.size,
      objects: this.state.store.count,
      faultsPending: this.state.faults.pending,
      rotationsPending: this.state.rotatePending,
    };
  }

  /** Ends pending "delay" faults at once; the server calls it when closing. */
  cancelDelays(): void {
    this.state.delays.cancelAll();
  }
}
