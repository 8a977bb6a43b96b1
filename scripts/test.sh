#!/usr/bin/env bash
# README command two: install everything, make sure Redis answers, run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/ensure-pnpm.sh
mlq_pnpm_install
REDIS_URL=$(node scripts/ensure-redis.mjs)
export REDIS_URL
# The browser test skips without Chromium, the XGBoost interop test without Debian's
# python3-xgboost; say so last, where it cannot scroll away.
CHROMIUM=${MLQ_CHROMIUM:-/usr/bin/chromium}
PYTHON=${MLQ_PYTHON:-/usr/bin/python3}
status=0
pnpm run test || status=$?
if ! "$PYTHON" -c "import xgboost" >/dev/null 2>&1; then
  echo "mlq: WARNING: the XGBoost interop test was SKIPPED: $PYTHON cannot import xgboost (apt-get install -y python3-xgboost, or set MLQ_PYTHON)" >&2
fi
if [ ! -x "$CHROMIUM" ]; then
  echo "mlq: WARNING: the dashboard browser test was SKIPPED: no Chromium at $CHROMIUM (apt-get install -y chromium, or set MLQ_CHROMIUM)" >&2
fi
exit "$status"
