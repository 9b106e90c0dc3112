// Owns running a simulator on a real socket (TCP or unix) with @hono/node-server, and the one
// close path that ends every connection, keep-alive or delayed, so callers never hang.

import { once } from "node:events";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createAdaptorServer } from "@hono/node-server";
import { originOf, type ListenAddress } from "../net/addresses.js";
import { Simulator, type SimulatorOptions } from "./simulator.js";

export interface RunningSimulator {
  /** `http://host:port`, or `unix:/path` for a unix socket. */
  url: string;
  simulator: Simulator;
  close(): Promise<void>;
}

export async function startSimulator(opts: SimulatorOptions & { listen?: ListenAddress }): Promise<RunningSimulator> {
  const simulator = new Simulator(opts);
  const listen = opts.listen ?? { kind: "tcp", host: "127.0.0.1", port: 0 };
  const server = createAdaptorServer({ fetch: simulator.app.fetch }) as Server;

  const failed = once(server, "error").then(([err]) => Promise.reject(err as Error));
  // Not events.once(server, "listening"): it rejects with the raw error and wins the race.
  const listening = new Promise<void>((resolve) => server.once("listening", () => resolve()));
  if (listen.kind === "unix") server.listen(listen.path);
  else server.listen(listen.port, listen.host);
  await Promise.race([listening, failed]);
  failed.catch(() => undefined);

  let url: string;
  if (listen.kind === "unix") {
    url = `unix:${listen.path}`;
    simulator.publicUrl ??= "http://localhost";
  } else {
    const addr = server.address() as AddressInfo;
    url = originOf(listen.host === "" ? "127.0.0.1" : listen.host, addr.port);
    simulator.publicUrl ??= url;
  }

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= new Promise<void>((resolve) => {
      simulator.cancelDelays();
      server.close(() => resolve());
      server.closeAllConnections();
    });
    return closing;
  };
  return { url, simulator, close };
}
