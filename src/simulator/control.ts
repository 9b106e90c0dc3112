// Owns the control surface under /-/sim/ (a prefix the real API never uses): revoke sessions, change
// passwords, queue faults and cookie rotations, read counters. JSON in and out, no auth (loopback tool).

import type { Hono } from "hono";
import { parseFault, type Fault } from "./faults.js";
import { parseJsonObject, readBody, type SimContext, type SimEnv } from "./http-util.js";
import type { SimulatorCounters } from "./state.js";

const CONTROL_BODY_LIMIT = 64 * 1024;

/** What the control routes may do to a simulator; the Simulator class implements it. */
export interface SimControls {
  revokeAll(): number;
  setPassword(user: string, password: string): void;
  failNext(count: number, fault: Fault): void;
  clearFaults(): void;
  rotateCookieNext(count: number): void;
  counters(): SimulatorCounters;
  status(): SimulatorStatus;
}

export interface SimulatorStatus {
  counters: SimulatorCounters;
  sessions: number;
  objects: number;
  faultsPending: number;
  rotationsPending: number;
}

const json = (body: unknown, status = 200): Response =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
const problem = (status: number, message: string): Response => json({ message }, status);

/** Reads an optional JSON object body; an empty body is `{}`. */
async function input(c: SimContext): Promise<Record<string, unknown> | Response> {
  const body = await readBody(c, CONTROL_BODY_LIMIT);
  if (!body.ok) return body.response;
  if (body.text.trim() === "") return {};
  const parsed = parseJsonObject(body.text);
  return parsed.ok ? parsed.value : parsed.response;
}

function countOf(body: Record<string, unknown>, fallback: number): number | string {
  const count = body.count ?? fallback;
  return Number.isInteger(count) && (count as number) >= 0 && (count as number) <= 1_000_000
    ? (count as number)
    : "count must be an integer from 0 to 1000000";
}

const ROUTES: Record<string, string> = {
  "/-/sim/": "GET",
  "/-/sim/counters": "GET",
  "/-/sim/revoke": "POST",
  "/-/sim/password": "POST",
  "/-/sim/fail": "POST, DELETE",
  "/-/sim/rotate": "POST",
};

export function mountControl(app: Hono<SimEnv>, sim: SimControls): void {
  app.get("/-/sim/", () => json(sim.status()));
  app.get("/-/sim/counters", () => json(sim.counters()));
  app.post("/-/sim/revoke", () => json({ revoked: sim.revokeAll() }));

  app.post("/-/sim/password", async (c) => {
    const body = await input(c);
    if (body instanceof Response) return body;
    if (typeof body.user !== "string" || typeof body.password !== "string") {
      return problem(400, 'send {"user": "/Compute-…/…", "password": "…"}');
    }
    try {
      sim.setPassword(body.user, body.password);
    } catch (err) {
      return problem(400, (err as Error).message);
    }
    return json({ user: body.user });
  });

  app.post("/-/sim/fail", async (c) => {
    const body = await input(c);
    if (body instanceof Response) return body;
    const count = countOf(body, 1);
    const fault = parseFault(body.fault);
    if (typeof count === "string" || typeof fault === "string") {
      return problem(400, [count, fault].filter((x) => typeof x === "string").join("; "));
    }
    try {
      sim.failNext(count, fault);
    } catch (err) {
      return problem(400, (err as Error).message);
    }
    return json({ faultsPending: sim.status().faultsPending });
  });

  app.delete("/-/sim/fail", () => {
    sim.clearFaults();
    return json({ faultsPending: 0 });
  });

  app.post("/-/sim/rotate", async (c) => {
    const body = await input(c);
    if (body instanceof Response) return body;
    const count = countOf(body, 1);
    if (typeof count === "string") return problem(400, count);
    sim.rotateCookieNext(count);
    return json({ rotationsPending: sim.status().rotationsPending });
  });

  app.all("/-/sim/*", (c) => {
    const allow = ROUTES[c.req.path];
    return allow
      ? new Response(JSON.stringify({ message: `${c.req.method} is not allowed here` }), {
          status: 405,
          headers: { "content-type": "application/json", allow },
        })
      : problem(404, `No simulator control endpoint ${c.req.path}; see GET /-/sim/`);
  });
}
