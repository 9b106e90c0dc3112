// Owns the hono app of one simulator: the /-/sim/ control routes, then every API request through
// faults, authentication and the resource routes. Building it never listens.

import { Hono } from "hono";
import { authenticate, invalidToken, issueCookie, login, refresh } from "./auth.js";
import { mountControl, type SimControls } from "./control.js";
import { faultResponse } from "./faults.js";
import { apiError, rawPath, type SimContext, type SimEnv } from "./http-util.js";
import { handleResource } from "./resources.js";
import type { SimState } from "./state.js";

const ORDINARY = new Set([200, 201, 204]);

export function buildApp(state: SimState, controls: SimControls): Hono<SimEnv> {
  const app = new Hono<SimEnv>();
  app.onError((err) => {
    state.logger.error({ err }, "request failed");
    return apiError(500, "Internal Server Error");
  });
  mountControl(app, controls);
  app.all("*", async (c) => {
    state.counters.requests++;
    const res = await api(c, state);
    if (res.status === 401) state.counters.unauthorized++;
    // The API's Date is on the API's clock: a simulator whose clock is skewed says so here too,
    // as a real server would (Node's own Date header would follow the host's clock instead).
    res.headers.set("date", new Date(state.clock.now()).toUTCString());
    return res;
  });
  return app;
}

async function api(c: SimContext, state: SimState): Promise<Response> {
  const fault = state.faults.take();
  if (fault?.kind === "delay") {
    if (!(await state.delays.wait(fault.ms))) return apiError(503, "Simulator is shutting down");
  } else if (fault) {
    return faultResponse(c, fault, `sim-${state.counters.requests}`);
  }

  const path = rawPath(c);
  if (path === "/authenticate/") return login(c, state);
  if (path === "/refresh/") return refresh(c, state);
  const auth = authenticate(c, state);
  if (!auth) return invalidToken();
  const res = await handleResource(c, state, state.tables, path, auth);
  if (state.rotatePending > 0 && ORDINARY.has(res.status)) {
    state.rotatePending--;
    res.headers.append("set-cookie", issueCookie(state, auth.session, state.clock.now()));
  }
  return res;
}
