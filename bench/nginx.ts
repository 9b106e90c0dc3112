// Owns nginx as the reference proxy: a keep-alive reverse proxy that adds a static nimbula cookie,
// configured in its own temp directory and run in the foreground (daemon off) as a child process.

import { chmod, mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, portOpen, removeOnExit, start, waitUntil, treeUsage, type Started } from "./children.js";

export interface NginxProcess {
  url: string;
  dir: string;
  child: Started;
  /** Master plus workers, from /proc (Linux). */
  usage(): Promise<{ rssBytes?: number; cpuSeconds?: number }>;
}

export function nginxConfig(dir: string, listenPort: number, upstreamPort: number, cookie: string): string {
  return `# Written by bench/nginx.ts for one benchmark run.
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${dir}/client_body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  keepalive_timeout 75s;
  keepalive_requests 1000000;
  client_max_body_size 0;
  upstream compute_api {
    server 127.0.0.1:${upstreamPort};
    keepalive 64;
    keepalive_requests 1000000;
    keepalive_timeout 60s;
  }
  server {
    listen 127.0.0.1:${listenPort};
    location / {
      proxy_pass http://compute_api;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Cookie "nimbula=${cookie}";
      proxy_request_buffering off;
    }
  }
}
`;
}

export async function startNginx(binary: string, upstreamPort: number, cookie: string): Promise<NginxProcess> {
  // Its own directory, readable by the worker user nginx switches to when started as root.
  const dir = await mkdtemp(join(tmpdir(), "opc-bench-nginx-"));
  removeOnExit(dir);
  await chmod(dir, 0o755);
  const port = await freePort();
  const conf = join(dir, "nginx.conf");
  await writeFile(conf, nginxConfig(dir, port, upstreamPort, cookie));
  const child = start("nginx", binary, ["-p", dir, "-e", join(dir, "error.log"), "-c", conf, "-g", "daemon off;"]);
  const errorLog = async () => (await readFile(join(dir, "error.log"), "utf8").catch(() => "")).slice(-4000);
  await waitUntil(
    "nginx to listen",
    async () => {
      if (child.proc.exitCode !== null)
        throw new Error(`nginx exited (${child.proc.exitCode}):\n${child.output()}${await errorLog()}`);
      return portOpen(port);
    },
    15_000,
  );
  return {
    url: `http://127.0.0.1:${port}`,
    dir,
    child,
    usage: () => treeUsage(child.pid),
  };
}
