// The node:http reference proxy of npm run bench: the smallest reverse proxy a user could write with
// Node alone (no libraries) that adds a static nimbula cookie. Run with plain `node`, never tsx, so its
// start-up and memory are a user's script's. Usage: node node-proxy.mjs 127.0.0.1:PORT UPSTREAM_URL COOKIE
import http from "node:http";

const [listen, upstream, cookie] = process.argv.slice(2);
const at = listen.lastIndexOf(":");
const target = new URL(upstream);
// Keep-alive pool with the settings opc-auth-proxy's forwarding pool uses (src/upstream/upstream.ts).
const agent = new http.Agent({ keepAlive: true, scheduling: "lifo", maxFreeSockets: 64 });

http
  .createServer((req, res) => {
    const headers = { ...req.headers, cookie: `nimbula=${cookie}` };
    const options = { hostname: target.hostname, port: target.port, method: req.method, path: req.url, headers, agent };
    const up = http.request(options, (upRes) => {
      res.writeHead(upRes.statusCode ?? 502, upRes.headers);
      upRes.pipe(res);
    });
    // Without these a client that hangs up mid-request (wrk does at the end of every run) kills the process.
    up.on("error", () => (res.headersSent ? res.destroy() : res.writeHead(502).end()));
    req.on("error", () => up.destroy());
    res.on("close", () => res.writableFinished || up.destroy());
    req.pipe(up);
  })
  .listen(Number(listen.slice(at + 1)), listen.slice(0, at));
