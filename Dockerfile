# Multi-stage build: compile with dev dependencies, run with production dependencies only, as a non-root user.
# Node 24: the current LTS line (Node 20 is past its end of life). Both stages share the base, so the
# better-sqlite3 binary built here fits the runtime.
FROM node:24-bookworm-slim AS build
WORKDIR /app
# Compilers for better-sqlite3, in case no prebuilt binary matches this platform.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
# --ignore-scripts: the `prepare` script would build before the sources are here. The one native module is
# then built for this image (the runtime stage has the same base, so the binary fits it).
RUN npm ci --ignore-scripts && npm rebuild better-sqlite3
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
# The web console (Vite) and the typed API client it is written against: built into dist/console.
COPY console ./console
COPY client ./client
RUN npm run build && npm prune --omit=dev --ignore-scripts

FROM node:24-bookworm-slim
ENV NODE_ENV=production HOST=0.0.0.0 PORT=3000 DATA_DIR=/data
WORKDIR /app
# Code and dependencies stay owned by root: the service cannot change them.
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
# DATA_DIR is used only on the embedded stores (EVENT_STORE=sqlite); mount a volume there for them, e.g.
# `docker run -v rujukan-data:/data …`. With EventStoreDB and MongoDB the container keeps nothing.
RUN mkdir -p /data && chown node:node /data
USER node
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:3000/api/v1/health/ready').then(r=>process.exit(r.ok?0:1)).catch(()=>process.exit(1))"]
# A V8 heap ceiling the service works well within (about 100 MiB in use under the soak's load): GC stays ahead of
# the sawtooth instead of letting its peaks grow for minutes, and a leak shows instead of hiding in RSS.
CMD ["node", "--max-old-space-size=256", "dist/main.js"]
