// Owns the image's HEALTHCHECK decision: which `wait` command line checks the process the container
// runs. The proxy is healthy once ready; the simulator (the same image, command `simulate`) once it
// answers on its own listener, so a simulator container is never marked unhealthy for lacking /-/readyz.

import { originOf, parseListen } from "../net/addresses.js";

/** What one health probe may take: below the Dockerfile's HEALTHCHECK --timeout. */
export const PROBE_TIMEOUT = "5s";
const SIMULATOR_DEFAULT_LISTEN = "127.0.0.1:8081";

/**
 * The `wait` argv (without the program name) for the container whose main process was started with
 * `mainArgv` (the arguments after the script, as in /proc/1/cmdline). `serve` (or no command) probes
 * the proxy's /-/readyz at OPC_PROXY_LISTEN or the default, as `wait` itself chooses; `simulate`
 * probes the simulator's /-/sim/ at its TCP --listen (default 127.0.0.1:8081). Any other command,
 * or a simulator on a unix socket, has nothing to probe: undefined (healthy while it runs).
 */
export function healthWaitArgv(mainArgv: readonly string[]): string[] | undefined {
  const first = mainArgv[0];
  const sub = first === undefined || first.startsWith("-") ? "serve" : first.replace(/-/g, "_");
  if (sub === "serve") return ["wait", "--timeout", PROBE_TIMEOUT];
  if (sub !== "simulate") return undefined;
  const listenText = flagValue(mainArgv, "--listen") ?? SIMULATOR_DEFAULT_LISTEN;
  const listen = parseListen(listenText);
  if (typeof listen === "string") return undefined;
  // wait probes /-/readyz on a socket, which the simulator does not serve: healthy while it runs.
  if (listen.kind === "unix") return undefined;
  const host =
    listen.host === "0.0.0.0" || listen.host === "" ? "127.0.0.1" : listen.host === "::" ? "::1" : listen.host;
  return ["wait", "--url", `${originOf(host, listen.port)}/-/sim/`, "--timeout", PROBE_TIMEOUT];
}

function flagValue(argv: readonly string[], flag: string): string | undefined {
  let value: string | undefined;
  argv.forEach((a, i) => {
    if (a === flag) value = argv[i + 1];
    else if (a.startsWith(`${flag}=`)) value = a.slice(flag.length + 1);
  });
  return value;
}
