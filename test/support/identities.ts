// The accounts tests log in with, defined once: the user name every test uses, the password every
// in-process proxy logs in with, and the accounts kept apart on purpose.

import { DEMO_PASSWORD, DEMO_USER } from "../../src/simulator/index.js";

/** The user every test logs in as: the simulator's demo account's name. */
export const USER = DEMO_USER;
/** The password proxies started by start-proxy.ts log in with (the simulator's default demo account's). */
export const PASSWORD = DEMO_PASSWORD;
/** A password no log line, error or page may contain: distinctive, so a leak check cannot match by chance. */
export const SECRET_PASSWORD = "pw-Tr0ub4dor&3-never-logged";
/** Another user of the same identity domain: whose cookies the proxy must never take. */
export const OTHER_USER = "/Compute-acme/other@example.com";
/** A user and password that need quoting in a shell: what the printed `export` lines must survive. */
export const QUOTING_USER = "/Compute-acme/o'brien@example.com";
export const QUOTING_PASSWORD = "p@ss 'word' $HOME";

export const V3 = "application/oracle-compute-v3+json";
export const DIR = "application/oracle-compute-v3+directory+json";
