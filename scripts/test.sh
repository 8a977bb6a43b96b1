#!/usr/bin/env bash
# README command two: install everything, make sure Redis answers, run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/ensure-pnpm.sh
mlq_pnpm_install
REDIS_URL=$(node scripts/ensure-redis.mjs)
export REDIS_URL
# The browser test skips without Chromium; say so last, where it cannot scroll away.
CHROMIUM=${MLQ_CHROMIUM:-/usr/bin/chromium}
status=0
pnpm run test || status=$?
if [ ! -x "$CHROMIUM" ]; then
  echo "mlq: WARNING: the dashboard browser test was SKIPPED: no Chromium at $CHROMIUM (apt-get install -y chromium, or set MLQ_CHROMIUM)" >&2
fi
exit "$status"
