#!/usr/bin/env bash
# Starts the built API and web app for the Playwright end-to-end tests.
#
# Several shards may start this script at the same time in one checkout. The
# builds therefore run under an exclusive lock, and only for outputs that are
# missing: the first shard builds, the others wait and then reuse its output.
#
# Environment: WEB_PORT (3000), API_PORT (4000), DATABASE_URL, REDIS_URL,
# E2E_BUILD_LOCK (lock file, default .e2e-build.lock in the repo root).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

export NEXT_TELEMETRY_DISABLED=1
WEB_PORT="${WEB_PORT:-3000}"
API_PORT="${API_PORT:-4000}"
LOCK_FILE="${E2E_BUILD_LOCK:-$ROOT/.e2e-build.lock}"

build_missing() {
  if [ ! -f packages/shared/dist/index.js ]; then
    echo "[e2e-serve] building @tradosphere/shared"
    pnpm --filter @tradosphere/shared run build
  fi
  if [ ! -f apps/api/dist/main.js ]; then
    echo "[e2e-serve] building api"
    pnpm --filter api run build:app
  fi
  if [ ! -f apps/web/.next/BUILD_ID ] || [ ! -f apps/web/.next/standalone/apps/web/server.js ]; then
    echo "[e2e-serve] building web"
    pnpm --filter web run build:app
  fi
}

exec 9>"$LOCK_FILE"
echo "[e2e-serve] waiting for the build lock $LOCK_FILE"
flock --exclusive --timeout 1200 9
build_missing
flock --unlock 9
exec 9>&-

pids=()
stop_servers() {
  for pid in "${pids[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  wait 2>/dev/null || true
}
trap stop_servers EXIT
trap 'exit 143' TERM INT

echo "[e2e-serve] starting api on 127.0.0.1:$API_PORT"
HOST=127.0.0.1 PORT="$API_PORT" node apps/api/dist/main.js &
pids+=("$!")
node scripts/wait-for-url.js "http://127.0.0.1:$API_PORT/health" 60

echo "[e2e-serve] starting web on 127.0.0.1:$WEB_PORT"
(
  cd apps/web
  API_URL="http://127.0.0.1:$API_PORT" exec node_modules/.bin/next start -H 127.0.0.1 -p "$WEB_PORT"
) &
pids+=("$!")

# Stop (and let Playwright report it) as soon as either server exits.
set +e
wait -n "${pids[@]}"
status=$?
echo "[e2e-serve] a server exited with status $status" >&2
exit "$status"
