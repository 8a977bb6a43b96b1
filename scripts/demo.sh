#!/usr/bin/env bash
# README command one: install everything, make sure Redis answers, generate the demo database
# and run the main job end to end through the real queues (calibrate -> forced retrain -> A/B).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/ensure-pnpm.sh
mlq_pnpm_install
pnpm turbo run build --output-logs=errors-only
REDIS_URL=$(node scripts/ensure-redis.mjs)
export REDIS_URL
node apps/cli/dist/main.js demo "$@"
