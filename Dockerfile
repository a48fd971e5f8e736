# syntax=docker/dockerfile:1
# pipedrive-cadence: the scheduled worker. Multi-stage on the current Node LTS, production deps only,
# non-root, state under one volume, `schedule` by default with a HEALTHCHECK on the status server.
# The status server listens on 127.0.0.1 inside the container: the HEALTHCHECK (run inside it) reaches
# /healthz, nothing outside does. To scrape /metrics or read /reports/latest from outside, run with
#   -e CADENCE_STATUS_ADDR=0.0.0.0:9464 -e CADENCE_STATUS_TOKEN=<openssl rand -hex 32>
# (docs/operations.md, "The status server"); without the token those two routes stay off.

# ---- build: compile TypeScript (needs dev dependencies and the toolchain for sqlite3) ------------
FROM node:24-bookworm-slim AS build
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY sandbox ./sandbox
RUN npm run build

# ---- deps: production dependencies only (sqlite3 compiles here, the toolchain stays behind) -------
FROM node:24-bookworm-slim AS deps
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# ---- runtime ----------------------------------------------------------------------------------
FROM node:24-bookworm-slim AS runtime
ENV NODE_ENV=production \
    CADENCE_STATE_URL=sqlite:///var/lib/cadence/cadence.sqlite \
    CADENCE_REPORT_DIR=/var/lib/cadence/reports \
    CADENCE_POLICY_FILE=/app/config/policy.yaml \
    CADENCE_STATUS_ADDR=127.0.0.1:9464
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY config ./config
# Owner-only: the volume holds the mirror of the CRM and the reports (the worker also creates its files 0600/0700).
RUN mkdir -p /var/lib/cadence && chown -R node:node /var/lib/cadence && chmod 0700 /var/lib/cadence
USER node
VOLUME ["/var/lib/cadence"]
EXPOSE 9464
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:9464/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
ENTRYPOINT ["node", "dist/src/cli.js"]
CMD ["schedule"]
