#!/usr/bin/env bash
# README command one: install everything, make sure Redis answers, generate the demo database
# and run the main job end to end through the real queues (calibrate -> forced retrain -> A/B).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/ensure-pnpm.sh
pnpm install --frozen-lockfile --reporter=append-only 2>&1 | grep -vE "^\.\.\./|^npm warn" || true
test -d node_modules/.pnpm || { echo "mlq: pnpm install failed" >&2; exit 1; }
pnpm turbo run build --output-logs=errors-only
REDIS_URL=$(node scripts/ensure-redis.mjs)
export REDIS_URL
node apps/cli/dist/main.js demo "$@"
