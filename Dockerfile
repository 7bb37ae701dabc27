# One image for every Drivrr process (auth, realtime, the migrate step, the CLI): the command picks
# which. compose/docker-compose.yml builds it once as drivrr:local.
#
#   docker build -t drivrr:local .                                   # from the repository root
#   docker build --build-arg NODE_VERSION=26.x.y -t drivrr:local .   # another Node.js release
#
# Node.js 26 is the LTS line; the code itself runs on Node.js 20.19+ (package.json "engines").
# NODE_VERSION is an exact release, so a rebuild gets the same Node.js until someone bumps it.
ARG NODE_VERSION=26.10.0

# The manifests alone: the dependency layers below are rebuilt only when one of them changes.
FROM node:${NODE_VERSION}-bookworm-slim AS manifests
WORKDIR /app
COPY package.json package-lock.json ./
COPY shared/package.json shared/
COPY store/package.json store/
COPY migrations/package.json migrations/
COPY server-auth/package.json server-auth/
COPY server-realtime/package.json server-realtime/
COPY simulators/package.json simulators/
COPY cli/package.json cli/
COPY cli/bin cli/bin
COPY ops-map/package.json ops-map/

# Behind a TLS-inspecting proxy, npm needs that proxy's CA: pass it as the optional build secret
# "npm_ca" (docker build --secret id=npm_ca,src=/etc/ssl/certs/ca-certificates.crt).
# Install scripts are not needed: the embedded PostgreSQL of `drivrr up` is not used in the image.
FROM manifests AS build-dependencies
RUN --mount=type=secret,id=npm_ca \
    if [ -s /run/secrets/npm_ca ]; then export NODE_EXTRA_CA_CERTS=/run/secrets/npm_ca; fi; \
    npm ci --ignore-scripts --no-audit --no-fund

FROM manifests AS runtime-dependencies
RUN --mount=type=secret,id=npm_ca \
    if [ -s /run/secrets/npm_ca ]; then export NODE_EXTRA_CA_CERTS=/run/secrets/npm_ca; fi; \
    npm ci --omit=dev --omit=optional --ignore-scripts --no-audit --no-fund \
    && npm cache clean --force

# Our patches to dependencies (patches/README.md): npm ci ran with --ignore-scripts, so they are
# applied here, with the dev dependencies' patch-package and no sources in sight.
FROM build-dependencies AS patched-dependencies
COPY patches patches
RUN npx patch-package --error-on-fail

FROM patched-dependencies AS build
COPY . .
# declarations, source maps and build info are for editors and debuggers, not for running
RUN npm run build \
    && find shared store migrations server-auth server-realtime simulators cli \
       -path '*/node_modules' -prune -o -type f \( -name '*.d.ts' -o -name '*.map' -o -name '*.tsbuildinfo' \) -print \
       | xargs rm -f

# What runs: production dependencies, the compiled packages, the SQL migrations, the ops map page.
FROM node:${NODE_VERSION}-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=runtime-dependencies /app ./
# The patched dependency files (patches/README.md), from the stage that applied them.
COPY --from=patched-dependencies /app/node_modules/ws/lib/receiver.js node_modules/ws/lib/receiver.js
COPY --from=build /app/shared/dist shared/dist
COPY --from=build /app/store/dist store/dist
COPY --from=build /app/migrations/dist migrations/dist
COPY --from=build /app/migrations/sql migrations/sql
COPY --from=build /app/server-auth/dist server-auth/dist
COPY --from=build /app/server-realtime/dist server-realtime/dist
COPY --from=build /app/simulators/dist simulators/dist
COPY --from=build /app/cli/dist cli/dist
COPY --from=build /app/ops-map/dist ops-map/dist
USER node
EXPOSE 3000 8081
CMD ["node", "server-auth/dist/main.js"]
