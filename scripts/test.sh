#!/usr/bin/env bash
# README command two: install everything, make sure Redis answers, run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/ensure-pnpm.sh
pnpm install --frozen-lockfile --reporter=append-only 2>&1 | grep -vE "^\.\.\./|^npm warn" || true
test -d node_modules/.pnpm || { echo "mlq: pnpm install failed" >&2; exit 1; }
REDIS_URL=$(node scripts/ensure-redis.mjs)
export REDIS_URL
pnpm run test
