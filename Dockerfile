# The service image: API and worker share it (different commands). Untested here (no Docker engine).
# Node 24 LTS, the project's floor (package.json engines; src/require-node.ts refuses older).
FROM node:24-trixie-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY scripts ./scripts
COPY bench ./bench
RUN npm run build && npm prune --omit=dev

FROM node:24-trixie-slim
ENV NODE_ENV=production
# glibc reads this at process start: two malloc arenas instead of up to 8 per core for the SDK
# core's threads (worker RSS, docs/production.md). The worker's command also sets the V8 heap flags
# (src/worker.ts WORKER_NODE_FLAGS).
ENV MALLOC_ARENA_MAX=2
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
USER node
EXPOSE 3000
# The API's liveness (GET /healthz on HTTP_PORT, no credentials). A worker container probes its
# runtime metrics endpoint instead (docker-compose.yml passes the URL). No curl in the slim image:
# scripts/healthcheck.ts is a few lines of Node fetch.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 CMD ["node", "dist/scripts/healthcheck.js"]
CMD ["node", "dist/src/api.js"]
