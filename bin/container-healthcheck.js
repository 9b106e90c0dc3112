#!/usr/bin/env node
// The image's HEALTHCHECK: checks whichever command the container runs (PID 1's arguments), so the
// proxy is healthy once ready and a `simulate` container once its simulator answers.
import { readFileSync } from "node:fs";

const pid1 = readFileSync("/proc/1/cmdline", "utf8").split("\0").filter(Boolean);
const script = pid1.findIndex((a) => /opc-auth-proxy(\.js)?$/.test(a));
const { healthWaitArgv } = await import("../dist/commands/container-health.js");
const argv = healthWaitArgv(script < 0 ? [] : pid1.slice(script + 1));
if (!argv) process.exit(0);
process.argv = [process.argv[0], process.argv[1], ...argv];
(await import("../dist/cli.js")).runCli();
