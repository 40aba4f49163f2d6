# syntax=docker/dockerfile:1
# Flyer: build with `docker build -t flyer .`, run with `docker run -p 8080:8080 flyer`.
ARG NODE_IMAGE=node:20-bookworm-slim

# 1. Build: all dependencies, router table, bundle (dist/server.mjs + dist/chunks/).
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build

# 2. Production dependencies only (no tsx, esbuild, vitest, bun…).
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

# 3. Runtime: non-root, the original's defaults, signals straight to the primary process.
FROM ${NODE_IMAGE}
WORKDIR /app
ENV NODE_ENV=production \
    flyer_host=0.0.0.0 \
    flyer_port=8080 \
    flyer_base_url=/flyer \
    flyer_version=v1 \
    flyer_threads=5 \
    flyer_worker_connections=1000 \
    flyer_timeout=60 \
    flyer_graceful_timeout=10 \
    flyer_keepalive=5 \
    flyer_log_level=info \
    flyer_log_dir=/app/logs \
    flyer_log_retention_days=30 \
    flyer_access_log=1 \
    flyer_access_logfile=-
COPY --from=deps --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/dist ./dist
COPY --chown=node:node package.json ./
COPY --chown=node:node static ./static
COPY --chown=node:node migrations ./migrations
RUN mkdir -p /app/logs && chown node:node /app/logs
USER node
EXPOSE 8080
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.flyer_port||8080)+'/health_check').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
STOPSIGNAL SIGTERM
# Exec form: node is PID 1 and gets SIGTERM itself (no shell in between); it reaps its own workers.
CMD ["node", "dist/server.mjs"]
