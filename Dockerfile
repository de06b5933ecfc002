# syntax=docker/dockerfile:1
#
# Tessera's services as container images, one target per service:
#
#   docker build --target gateway  -t tessera/gateway  .
#   docker build --target users    -t tessera/users    .    (and products, reviews)
#
# Each final image holds Node 24 (Debian slim), one service's compiled JavaScript and its
# production dependencies only (Prisma's WASM engines and the migrations included), runs as the
# unprivileged `node` user on read-only code, and has a HEALTHCHECK. A subgraph image is also its
# own migration job: `docker run tessera/users migrate`.
#
# Where no registry can be reached, `pnpm image:build` makes the base images from Debian's
# repository and the npm registry first (deploy/scripts/podman-base.sh) and builds all four with
# podman; deploy/test/images.test.ts runs them (see docs/deploying.md). Where no engine runs at all,
# `pnpm --filter @tessera/deploy image:rehearse` replays these instructions in a directory.

ARG NODE_IMAGE=node:24.21.0-bookworm-slim

# --- build: install, compile, and cut one production folder per service --------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /src
ENV CI=true
RUN npm install --global --no-fund --no-audit pnpm@12.21.0
# The packages first, from the lockfile alone (pnpm fetch): a change to the sources reuses them.
COPY pnpm-lock.yaml pnpm-workspace.yaml ./
# The patches pnpm applies to Apollo Gateway and Apollo Server (`@defer`; patches/README.md).
COPY patches ./patches
RUN pnpm fetch
COPY . .
# One RUN, one layer to commit: install from what fetch brought; compile; cut one production
# folder per service with `pnpm deploy --prod` (the package's "files": dist/, schema, with its
# production dependencies, workspace packages copied in); and keep only PostgreSQL's query
# compiler of the ones Prisma's client carries. (`prisma generate` warns here that it finds no
# libssl: the client uses the WASM query compiler and the pg driver, never OpenSSL, and the
# Prisma CLI is not in the images.)
RUN pnpm install --frozen-lockfile --offline \
 && pnpm build \
 && pnpm --filter @tessera/gateway deploy --prod out/gateway \
 && pnpm --filter @tessera/users deploy --prod out/users \
 && pnpm --filter @tessera/products deploy --prod out/products \
 && pnpm --filter @tessera/reviews deploy --prod out/reviews \
 && cp supergraph.graphql out/gateway/ \
 && find out -path '*/@prisma/client/runtime/*' \( -name '*.mysql.*' -o -name '*.sqlite.*' -o -name '*.sqlserver.*' -o -name '*.cockroachdb.*' \) -delete

# --- runtime: what every service image shares ----------------------------------------------
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production HOST=0.0.0.0
WORKDIR /app
# The code stays owned by root: the service can read it, not change it.
USER node
ENTRYPOINT ["node", "--conditions=tessera-dist", "--enable-source-maps", "dist/main.js"]
# Each HEALTHCHECK asks the service's /health (service-kit's health-probe.js: node:http, since fetch
# refuses some ports, and a 2 s timeout of its own, since an engine may not enforce --timeout on a
# hung service).

FROM runtime AS gateway
COPY --from=build /src/out/gateway /app
# The heap pnpm start gives the gateway (docs/operating.md, Memory); NODE_OPTIONS can change it.
ENV GATEWAY_PORT=4000 GATEWAY_METRICS_PORT=9400 SUPERGRAPH_PATH=/app/supergraph.graphql NODE_OPTIONS="--max-semi-space-size=16 --max-old-space-size=192"
EXPOSE 4000 9400
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 CMD ["node", "node_modules/@tessera/service-kit/dist/health-probe.js", "GATEWAY_PORT"]

FROM runtime AS users
COPY --from=build /src/out/users /app
ENV USERS_PORT=4001 USERS_METRICS_PORT=9401
EXPOSE 4001 9401
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=3 CMD ["node", "node_modules/@tessera/service-kit/dist/health-probe.js", "USERS_PORT"]

FROM runtime AS products
COPY --from=build /src/out/products /app
ENV PRODUCTS_PORT=4002 PRODUCTS_METRICS_PORT=9402
EXPOSE 4002 9402
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=3 CMD ["node", "node_modules/@tessera/service-kit/dist/health-probe.js", "PRODUCTS_PORT"]

FROM runtime AS reviews
COPY --from=build /src/out/reviews /app
ENV REVIEWS_PORT=4003 REVIEWS_METRICS_PORT=9403
EXPOSE 4003 9403
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=3 CMD ["node", "node_modules/@tessera/service-kit/dist/health-probe.js", "REVIEWS_PORT"]
