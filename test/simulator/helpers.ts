// Moved to test/support/simulator.ts; kept so tests written against the old path still compile.

export * from "../support/simulator.js";
