// The simulator's public face: what other code and tests import to run a Compute API simulator.

export { Simulator, DEMO_USER, DEMO_PASSWORD, SIMULATOR_DEFAULTS, simulatorOptionProblems } from "./simulator.js";
export type { SimulatorOptions } from "./simulator.js";
export { startSimulator } from "./server.js";
export type { RunningSimulator } from "./server.js";
export type { Fault } from "./faults.js";
export type { SimulatorCounters } from "./state.js";
export type { SimulatorStatus } from "./control.js";
export type { CookieFormat, TokenClaims } from "./token.js";
export { readNimbulaCookie } from "./token.js";
export { INSTANCE_TIMINGS } from "./instance-state.js";
export { STORAGE_TIMINGS } from "./kinds/storage.js";
export { V3_JSON, V3_DIRECTORY_JSON } from "./media.js";
