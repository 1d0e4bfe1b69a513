# The Tributary worker (worker.ts): runs the import workflows and their activities. TypeScript is run
# as is with tsx; there is no build step. Configured from the environment (see README.md):
#   DATABASE_URL, TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TRIBUTARY_TASK_QUEUE, TRIBUTARY_CONNECTION_<NAME>
# docker-compose.yml runs it next to Temporal and Postgres.
FROM node:22-slim

WORKDIR /app
COPY package.json package-lock.json ./
# npm install, not npm ci: package-lock.json lacks other platforms' optional packages, which npm ci
# insists on. npm install still installs the locked versions. Dev dependencies included: the Temporal
# SDK and the warehouse and file SDKs are peer dependencies of the published package, which the
# repository keeps among its devDependencies, and this image runs every kind of connection.
RUN npm install --no-audit --no-fund && npm cache clean --force
COPY . .
# The workflow bundle is built once, here, rather than by every worker start.
RUN node --import tsx temporal/workflowBundle.ts /app/workflows.js
ENV TRIBUTARY_WORKFLOW_BUNDLE=/app/workflows.js

# `docker stop` sends SIGTERM: the worker shuts down, and a batch it could not finish is rolled back and
# done again from the import's last committed position.
USER node
# The flags are worker.ts's WORKER_NODE_FLAGS and the environment its WORKER_ENV: they keep RSS near the
# live heap (`docker run -e MALLOC_ARENA_MAX=…` overrides it).
ENV MALLOC_ARENA_MAX=2
CMD ["node", "--max-semi-space-size=8", "--max-old-space-size=256", "--import", "tsx", "worker.ts"]
