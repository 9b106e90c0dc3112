// Owns one diagnostic look at the API's certificate after it was refused as untrusted: a TLS
// handshake without verification, closed before any byte of a request, to name the issuer.

import http from "node:http";
import https from "node:https";
import net from "node:net";
import tls from "node:tls";
import type { Upstream } from "./upstream.js";
import { unbracketed } from "../net/host-names.js";

/**
 * The issuer of the certificate the API presents ("CN=…, O=…"), directly or through the proxy's
 * CONNECT tunnel, or undefined when it cannot be seen within `timeoutMs`. Never rejects, and
 * sends nothing but the handshake (and CONNECT with the proxy's own credentials).
 */
export function peerIssuer(upstream: Pick<Upstream, "api" | "route">, timeoutMs: number): Promise<string | undefined> {
  const host = unbracketed(upstream.api.hostname);
  const port = Number(upstream.api.port) || 443;
  const servername = net.isIP(host) ? undefined : host;
  return new Promise((resolve) => {
    const cleanup: Array<{ destroy(): void }> = [];
    const done = (issuer: string | undefined) => {
      clearTimeout(timer);
      for (const c of cleanup) c.destroy();
      resolve(issuer);
    };
    const timer = setTimeout(() => done(undefined), Math.max(1, timeoutMs));
    const handshake = (socket?: net.Socket) => {
      const t = tls.connect({ host, port, servername, socket, rejectUnauthorized: false });
      cleanup.push(t);
      t.once("secureConnect", () => done(issuerText(t.getPeerCertificate())));
      t.once("error", () => done(undefined));
    };
    if (upstream.route.kind !== "proxy") return handshake();
    const proxy = upstream.route.url;
    const lib = proxy.protocol === "https:" ? https : http;
    const auth =
      proxy.username || proxy.password
        ? `Basic ${Buffer.from(`${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`).toString("base64")}`
        : undefined;
    const target = `${net.isIPv6(host) ? `[${host}]` : host}:${port}`;
    const req = lib.request({
      host: unbracketed(proxy.hostname),
      port: Number(proxy.port) || (proxy.protocol === "https:" ? 443 : 80),
      method: "CONNECT",
      path: target,
      headers: { host: target, ...(auth ? { "proxy-authorization": auth } : {}) },
      agent: false,
    });
    cleanup.push(req);
    req.once("connect", (res, socket) => {
      cleanup.push(socket);
      if (res.statusCode === 200) handshake(socket);
      else done(undefined);
    });
    req.once("error", () => done(undefined));
    req.end();
  });
}

function issuerText(cert: tls.PeerCertificate): string | undefined {
  const issuer = cert?.issuer as Record<string, string | string[]> | undefined;
  if (!issuer) return undefined;
  const parts = ["CN", "O", "OU"].flatMap((k) => (issuer[k] === undefined ? [] : [`${k}=${String(issuer[k])}`]));
  return parts.length > 0 ? parts.join(", ") : undefined;
}
