// Owns the listening socket of the proxy: Node's HTTP server with limits chosen on purpose,
// TCP or unix socket, and the one drain path used at shutdown.

import { once } from "node:events";
import { chmod, lstat, unlink } from "node:fs/promises";
import http from "node:http";
import { connect, type AddressInfo } from "node:net";
import { getRequestListener } from "@hono/node-server";
import { ProxyError } from "../errors.js";
import { originOf, type ListenAddress } from "../net/addresses.js";
import { silentLogger, type Logger } from "../log.js";
import { directRouteOf, type App } from "./app.js";
import { closeWhenIdle } from "./close-when-idle.js";
import { onClientError, onConnect, requestErrorResponse } from "./socket-replies.js";
import { assignRequestId } from "./request-id.js";

export interface ServerLimits {
  /** Largest request head accepted; larger gets 431. */
  maxHeaderBytes: number;
  /** Time allowed to send the request head (slow-loris); past it, 408. */
  headersTimeoutMs: number;
  /** Idle keep-alive connections are closed after this long. */
  keepAliveTimeoutMs: number;
  /**
   * A connection in the middle of a request on which nothing moves, either way, for this long is
   * closed (a stalled body, a client that stopped reading). Transfers that keep moving are never
   * cut, however long they take; it must exceed the time the API may take to answer.
   */
  idleTimeoutMs: number;
  /** How often Node checks the head timeout; it fires up to this much late. */
  connectionsCheckingIntervalMs: number;
}

export const DEFAULT_LIMITS: ServerLimits = {
  // Twice Node's default: a request head never carries the session cookie, but SDKs add headers.
  maxHeaderBytes: 32 * 1024,
  headersTimeoutMs: 15_000,
  keepAliveTimeoutMs: 30_000,
  idleTimeoutMs: 120_000,
  connectionsCheckingIntervalMs: 1_000,
};

/**
 * Limits for a proxy whose API may take `upstreamTimeoutMs` per attempt: a client waits silently
 * through up to two attempts and a login between them, so the idle timeout stays above that.
 */
export function limitsFor(upstreamTimeoutMs: number, overrides: Partial<ServerLimits> = {}): ServerLimits {
  return {
    ...DEFAULT_LIMITS,
    idleTimeoutMs: Math.max(DEFAULT_LIMITS.idleTimeoutMs, 2 * upstreamTimeoutMs + 40_000),
    ...overrides,
  };
}

export interface Listening {
  server: http.Server;
  /** Where clients reach it: http://host:port or unix:/path. */
  url: string;
  /**
   * Stops accepting, lets in-flight requests finish for up to `graceMs`, then calls `beforeCut`
   * (to answer what is still open) and closes the rest.
   */
  drain(graceMs: number, beforeCut?: () => void): Promise<void>;
}

/** The flag and variable an error about a listener names (the proxy's, or the admin listener's). */
export interface ListenerNames {
  flag: string;
  env: string;
}

export const PROXY_LISTENER: ListenerNames = { flag: "--listen", env: "OPC_PROXY_LISTEN" };

export async function listen(
  app: App,
  address: ListenAddress,
  limits: ServerLimits = DEFAULT_LIMITS,
  log: Logger = silentLogger,
  names: ListenerNames = PROXY_LISTENER,
): Promise<Listening> {
  const server = http.createServer({
    maxHeaderSize: limits.maxHeaderBytes,
    headersTimeout: limits.headersTimeoutMs,
    // No whole-request timeout: it would cut legitimate long uploads and downloads.
    requestTimeout: 0,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    connectionsCheckingInterval: limits.connectionsCheckingIntervalMs,
    // A missing Host gets a JSON 400 from the app's error path instead of an empty one.
    requireHostHeader: false,
  });
  const closing = closeWhenIdle(server);
  const viaApp = getRequestListener(app.fetch, {
    autoCleanupIncoming: false,
    overrideGlobalObjects: false,
    errorHandler: (err) => requestErrorResponse(err, log),
  });
  const handle = withRequestId(viaApp);
  const direct = directRouteOf(app);
  server.on("request", (req: http.IncomingMessage, res: http.ServerResponse) => {
    closing.track(res);
    if (direct) {
      assignRequestId(req, res);
      if (direct(req, res)) return;
      void viaApp(req, res);
      return;
    }
    void handle(req, res);
  });
  server.timeout = limits.idleTimeoutMs;
  server.on("clientError", onClientError(limits.maxHeaderBytes));
  server.on("connect", onConnect);
  if (address.kind === "unix") await removeStaleSocket(address.path, names);
  const failed = once(server, "error").then(([err]) =>
    Promise.reject(listenError(err as NodeJS.ErrnoException, address, names)),
  );
  failed.catch(() => undefined);
  if (address.kind === "unix") listenOwnerOnly(server, address.path);
  else server.listen(address.port, address.host);
  // Not events.once(server, "listening"): it rejects with the raw error and wins the race.
  await Promise.race([new Promise<void>((resolve) => server.once("listening", () => resolve())), failed]);
  let url: string;
  if (address.kind === "unix") {
    await chmod(address.path, 0o600);
    url = `unix:${address.path}`;
  } else {
    url = originOf(address.host, (server.address() as AddressInfo).port);
  }

  return {
    server,
    url,
    async drain(graceMs, beforeCut) {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      closing.begin();
      let timer: NodeJS.Timeout | undefined;
      let late = false;
      const grace = new Promise<void>((resolve) => {
        timer = setTimeout(() => {
          late = true;
          resolve();
        }, graceMs);
      });
      await Promise.race([closed, grace]);
      clearTimeout(timer);
      if (late && beforeCut) {
        beforeCut();
        // Let the answers written just now reach the sockets before they are closed.
        await new Promise<void>((resolve) => setTimeout(resolve, 50));
      }
      server.closeAllConnections();
      await closed;
      if (address.kind === "unix") await unlink(address.path).catch(() => undefined);
    },
  };
}

/** Every request gets its id before anything else runs, so refusals and parse errors carry it too. */
function withRequestId(listener: http.RequestListener): http.RequestListener {
  return function requestWithId(req, res) {
    assignRequestId(req, res);
    return listener(req, res);
  };
}

/**
 * Whoever can connect to the socket acts as the user: it is created 0600 (the bind happens within
 * listen(), under this umask), so there is no moment at which others could connect. The chmod
 * after listening stays as a second line of defence.
 */
function listenOwnerOnly(server: http.Server, path: string): void {
  const previous = process.umask(0o177);
  try {
    server.listen(path);
  } finally {
    process.umask(previous);
  }
}

/** A socket file left by a crashed run is replaced; any other kind of file is never touched. */
async function removeStaleSocket(path: string, names: ListenerNames): Promise<void> {
  let st;
  try {
    st = await lstat(path);
  } catch {
    return;
  }
  if (!st.isSocket()) {
    throw new ProxyError(
      "CONFIG_INVALID",
      `${names.flag} unix:${path}: ${path} exists and is not a socket; refusing to replace it`,
    );
  }
  if (await socketAnswers(path)) {
    throw new ProxyError(
      "LISTEN_FAILED",
      `${names.flag} unix:${path}: another process is listening on it; stop it or pick another path`,
    );
  }
  await unlink(path);
}

function listenError(err: NodeJS.ErrnoException, address: ListenAddress, names: ListenerNames): ProxyError {
  const at = address.kind === "unix" ? `unix:${address.path}` : `${address.host}:${address.port}`;
  const where = `${names.flag} ${at}`;
  if (err.code === "EADDRINUSE") {
    return new ProxyError(
      "LISTEN_FAILED",
      `${where}: the address is already in use; pick another port with ${names.flag} or ${names.env}`,
    );
  }
  if (err.code === "EACCES") {
    return new ProxyError("LISTEN_FAILED", `${where}: permission denied; use a port above 1023`);
  }
  if (err.code === "EADDRNOTAVAIL" || err.code === "ENOTFOUND") {
    return new ProxyError("LISTEN_FAILED", `${where}: no such local address`);
  }
  return new ProxyError("LISTEN_FAILED", `${where}: ${err.message}`);
}

export { originOf };

function socketAnswers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect(path);
    sock.once("connect", () => {
      sock.destroy();
      resolve(true);
    });
    sock.once("error", () => resolve(false));
  });
}
