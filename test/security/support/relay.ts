// A TCP relay between the proxy and its API that records every byte in both directions: the way to
// learn each cookie the API issued, and to prove what did (and did not) travel upstream.

import { once } from "node:events";
import net, { type AddressInfo, type Socket } from "node:net";

export interface Relay {
  url: string;
  /** Where connections go; set once the API is listening. */
  targetPort: number;
  toApi(): string;
  fromApi(): string;
  close(): Promise<void>;
}

export async function startRelay(): Promise<Relay> {
  const up: Buffer[] = [];
  const down: Buffer[] = [];
  const sockets = new Set<Socket>();
  const track = (s: Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  };
  const relay: Relay = {
    url: "",
    targetPort: 0,
    toApi: () => Buffer.concat(up).toString("latin1"),
    fromApi: () => Buffer.concat(down).toString("latin1"),
    close: async () => undefined,
  };
  const server = net.createServer((client) => {
    track(client);
    const api = net.connect(relay.targetPort, "127.0.0.1");
    track(api);
    client.on("data", (c: Buffer) => up.push(c));
    api.on("data", (c: Buffer) => down.push(c));
    client.pipe(api);
    api.pipe(client);
    client.on("error", () => api.destroy());
    api.on("error", () => client.destroy());
    client.on("close", () => api.destroy());
    api.on("close", () => client.destroy());
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  relay.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  relay.close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      for (const s of sockets) s.destroy();
    });
  return relay;
}

/** Every nimbula value in HTTP bytes (Set-Cookie and Cookie lines alike). */
export function nimbulaValues(text: string): string[] {
  return [...new Set([...text.matchAll(/nimbula=([^;\r\n]+)/g)].map((m) => m[1]!))];
}
