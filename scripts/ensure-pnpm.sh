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

# `pnpm install --frozen-lockfile` with the progress noise filtered out. A failed install stops
# the calling script at once with pnpm's exit code and repeats pnpm's last lines (its error),
# instead of surfacing later as "turbo: not found".
mlq_pnpm_install() {
  local log status errexit=
  case $- in *e*) errexit=1 ;; esac
  log=$(mktemp)
  set +e
  pnpm install --frozen-lockfile --reporter=append-only 2>&1 | tee "$log" | grep -vE "^\.\.\./|^npm warn"
  status=${PIPESTATUS[0]}
  [ -n "$errexit" ] && set -e
  if [ "$status" -ne 0 ]; then
    {
      echo "mlq: pnpm install failed (exit $status); its last lines:"
      tail -n 15 "$log" | sed 's/^/  | /'
    } >&2
    rm -f "$log"
    exit "$status"
  fi
  rm -f "$log"
}
