# One image for every Drivrr process (auth, realtime, the migrate step, the CLI):
# the command picks which. Used by compose/docker-compose.yml.

FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY . .
# dependency install scripts are not needed to build; the embedded PostgreSQL is not used here
RUN npm ci --ignore-scripts --no-audit --no-fund
RUN npm run build
RUN npm prune --omit=dev --omit=optional --ignore-scripts --no-audit --no-fund

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build --chown=node:node /app /app
USER node
EXPOSE 3000 8081
CMD ["node", "server-auth/dist/main.js"]
