#!/usr/bin/env bash
# Makes the pinned pnpm available without corepack (its download fails on these machines).
# Source it: `. scripts/ensure-pnpm.sh` — afterwards `pnpm` is the pinned version.
PNPM_VERSION=$(node -p "require('./package.json').packageManager.split('@')[1]")
if [ "$(pnpm --version 2>/dev/null)" != "$PNPM_VERSION" ]; then
  echo "mlq: installing pnpm@$PNPM_VERSION with npm" >&2
  if ! npm install -g "pnpm@$PNPM_VERSION" >/dev/null 2>&1; then
    # No permission for a global install: keep a private copy inside the repo.
    npm install --prefix .tools "pnpm@$PNPM_VERSION" >/dev/null 2>&1 || { echo "mlq: could not install pnpm@$PNPM_VERSION with npm" >&2; exit 1; }
    export PATH="$PWD/.tools/node_modules/.bin:$PATH"
  fi
  hash -r
fi
export TURBO_TELEMETRY_DISABLED=1
export TURBO_NO_UPDATE_NOTIFIER=1
