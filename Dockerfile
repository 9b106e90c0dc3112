# opc-auth-proxy as a container image: docker build -t opc-auth-proxy:0.1.0 .
#
# The image keeps the product's default listener, 127.0.0.1:8080 (loopback inside the container):
# right for a Kubernetes native sidecar, where the pod's containers share loopback. Where other
# containers or the host must connect (docker run -p, compose), widen it with the environment
# variable, not the flag, so that `opc-auth-proxy wait` (HEALTHCHECK, probes) finds the same address:
#   docker run --rm -p 127.0.0.1:8080:8080 -e OPC_PROXY_LISTEN=0.0.0.0:8080 opc-auth-proxy:0.1.0
# Whoever reaches the listener acts as the configured Oracle user (SECURITY.md).

# The current Node.js LTS, tag pinned to a patch release (.ci/run tests this very version too).
# Labels below are derived from these arguments, so a rebuild with other values never mislabels.
ARG NODE_VERSION=24.22.3
ARG NODE_VARIANT=bookworm
ARG NODE_IMAGE=node:${NODE_VERSION}-${NODE_VARIANT}-slim
# The package version (package.json); docker build --build-arg VERSION=… for a release build.
ARG VERSION=0.1.0

# --- build: all dependencies, compile TypeScript to dist/ ---
FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
# No dependency needs an install script to compile (tsc is plain JS).
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# --- runtime: production dependencies, dist/, bin/, package files; non-root ---
FROM ${NODE_IMAGE} AS runtime
ARG NODE_IMAGE
ARG VERSION
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY --from=build /src/dist ./dist
COPY bin ./bin
# The status page's HTML, script and styles (uPlot comes from node_modules).
COPY assets ./assets
# `opc-auth-proxy` on PATH: the compose healthcheck calls `opc-auth-proxy wait` (so may exec probes, docker exec).
RUN chmod 0755 /app/bin/opc-auth-proxy.js /app/bin/container-healthcheck.js \
 && ln -s /app/bin/opc-auth-proxy.js /usr/local/bin/opc-auth-proxy

LABEL org.opencontainers.image.title="opc-auth-proxy" \
      org.opencontainers.image.description="Local auth proxy for Oracle Compute Cloud Service (Classic): holds the nimbula session cookie for every local client" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.base.name="docker.io/library/${NODE_IMAGE}"

# The image's `node` user, numerically, so Kubernetes runAsNonRoot can verify it. /app stays root-owned
# and read-only to it; the proxy writes nothing unless --cookie-file names a writable place.
USER 1000:1000

# Checks what the container runs: `serve` is healthy once /-/readyz answers 200 (a session is held,
# on OPC_PROXY_LISTEN or 127.0.0.1:8080), i.e. `opc-auth-proxy wait --timeout 5s`; `simulate` once its
# simulator answers on its --listen (src/commands/container-health.ts).
HEALTHCHECK --interval=15s --timeout=10s --start-period=30s --retries=3 \
  CMD ["node", "/app/bin/container-healthcheck.js"]

# SIGTERM drains requests in flight (--drain-timeout, 20s by default); give `docker stop -t` more.
STOPSIGNAL SIGTERM
# --optimize-for-size keeps V8's young generation at 1 MiB and its old generation compact: about 75 MiB
# peak under load instead of 130 (README "Memory"). A V8 flag NODE_OPTIONS does not accept, hence here.
ENTRYPOINT ["node", "--optimize-for-size", "/app/bin/opc-auth-proxy.js"]
CMD ["serve"]
