// The usage text of `serve`: every flag with its environment variable and default.

export const SERVE_HELP = `Usage: opc-auth-proxy [serve] [options]

Runs the proxy: local clients send plain HTTP to it; it logs in to the Oracle Compute Cloud
Service (Classic) API, keeps the nimbula session cookie fresh, attaches it and forwards.
With no --api it starts the built-in simulator and fronts it (a zero-configuration demo).

Options (a flag beats its environment variable):
  --api URL                 API endpoint, e.g. https://compute.uscom-central-1.oraclecloud.com (an origin:
                            no path)
                            env OPC_API (alias OPC_ENDPOINT); default: the built-in simulator
  --user NAME               two-part user /Compute-<identity domain>/<user>
                            env OPC_USER (aliases OPC_COMPUTE_USER; OPC_USERNAME + OPC_IDENTITY_DOMAIN)
  --password-file PATH|-    file holding the password (mode 600; re-read at every login), or - to prompt
                            env OPC_PASSWORD_FILE (alias OPC_COMPUTE_PASSWORD_FILE); OPC_PASSWORD holds
                            the password itself when no file is given (a file is the safer choice)
  --listen HOST:PORT|unix:PATH
                            where to listen; env OPC_PROXY_LISTEN; default 127.0.0.1:8080
  --admin-listen HOST:PORT|unix:PATH
                            also serve the control endpoints (/-/healthz, /-/readyz, /-/metrics, /-/status)
                            and the status page (/-/, /-/events, /-/assets/*) here, never forwarding, e.g. 0.0.0.0:9090 for Kubernetes probes and Prometheus while the proxy
                            stays on loopback; accepts any IP address as Host; env OPC_PROXY_ADMIN_LISTEN
  --cookie-file PATH        keep a Netscape cookie file (mode 600) up to date for curl -b and other
                            tools, and reuse a still-valid cookie from it at start; env OPC_PROXY_COOKIE_FILE
                            (with --api, a still-valid OPC_COOKIE / OPC_COMPUTE_COOKIE of the same user is
                            reused too: a restart does not cost a login)
  --state-file PATH         count rejected logins per password (a salted fingerprint) across restarts, so a
                            restart never undoes the wrong-password guard; env OPC_PROXY_STATE_FILE;
                            default: PATH.login-state beside --cookie-file (none: this process only)
  --allow-host NAME         also accept requests whose Host is NAME (repeatable; e.g. a compose service
                            name); env OPC_PROXY_ALLOW_HOSTS (comma-separated); always allowed: localhost,
                            127.0.0.1, [::1]
  --allow-origin ORIGIN     accept browser requests carrying Origin ORIGIN (repeatable; no CORS headers are
                            sent, so it suits same-origin setups such as a dev server's proxy);
                            env OPC_PROXY_ALLOW_ORIGINS
  --ca-file PATH            extra CA certificates (PEM) to trust for the API; env OPC_PROXY_CA_FILE
  --insecure-skip-tls-verify
                            do not verify the API's certificate (test rigs only; warns at start)
                            env OPC_PROXY_INSECURE_SKIP_TLS_VERIFY=true
  --no-rewrite-uris         leave the API's absolute URIs (JSON "uri" fields, Location) as the API sent them
                            instead of pointing them at the proxy; env OPC_PROXY_REWRITE_URIS=false
  --identity-mode MODE      operator (default): one session, of --user; client: each client logs in itself
                            (POST /authenticate/ gets a handle) or sends HTTP Basic, and gets its own
                            session; env OPC_PROXY_IDENTITY_MODE
  --max-identities N        client mode: most identities held at once; env OPC_PROXY_MAX_IDENTITIES; default 100
  --identity-idle-timeout DUR
                            client mode: an identity without requests for DUR goes;
                            env OPC_PROXY_IDENTITY_IDLE_TIMEOUT; default 30m
  --max-replay-bytes SIZE   request bodies up to SIZE are kept to replay after a 401; larger ones
                            stream through without retry; env OPC_PROXY_MAX_REPLAY_BYTES; default 1MiB
  --upstream-timeout DUR    give up (504) when the API sends nothing for DUR; env OPC_PROXY_UPSTREAM_TIMEOUT;
                            default 60s
  --drain-timeout DUR       on SIGTERM, time allowed for requests in flight; env OPC_PROXY_DRAIN_TIMEOUT;
                            default 20s
  --shutdown-delay DUR      on SIGTERM, readiness turns 503 at once but requests are still served for DUR
                            before the drain (a second signal exits at once); env OPC_PROXY_SHUTDOWN_DELAY;
                            default 0
  --log-level LEVEL         fatal, error, warn, info, debug, trace or silent; env OPC_PROXY_LOG_LEVEL;
                            default info
  --log-format text|json    one short text line per event, or JSON lines, on standard error;
                            env OPC_PROXY_LOG_FORMAT; default text on a terminal, else json
  -h, --help                show this help
  --version                 show the version

Control endpoints (never forwarded): /-/healthz, /-/readyz, /-/status, /-/metrics, /-/events, and the
status page at /-/ (a browser).
Every response carries X-Request-Id (the client's when sane, else a new one), also sent to the API.
The API is reached through HTTPS_PROXY / HTTP_PROXY unless NO_PROXY matches it (a loopback API never is).
Exit codes: 0 success (also after a clean drain on SIGTERM), 1 runtime failure, 2 bad usage.

Examples:
  opc-auth-proxy                                    # demo: fronts the built-in simulator
  OPC_API=https://compute.uscom-central-1.oraclecloud.com \\
  OPC_USER=/Compute-acme/jack.jones@example.com \\
  OPC_PASSWORD_FILE=~/.opc/password opc-auth-proxy serve
  curl http://127.0.0.1:8080/instance/Compute-acme/
`;
