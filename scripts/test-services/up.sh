#!/usr/bin/env bash
# Starts throwaway PostgreSQL and Redis for manual test runs (`pnpm services:up`) and
# records them in .tmp/test-services.env, which `pnpm test`, `pnpm exec vitest` and
# `pnpm services:down` pick up. Prints the variables; safe to repeat.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

if [[ -f $TS_MANUAL_ENV ]] && ts_env_alive "$TS_MANUAL_ENV"; then
  ts_log "already running:"
  cat "$TS_MANUAL_ENV"
  exit 0
fi
[[ ! -f $TS_MANUAL_ENV ]] || "$(dirname "${BASH_SOURCE[0]}")/down.sh"

# Manual services are always our own: ignore any TEST_*_URL of this shell.
unset TEST_POSTGRES_URL TEST_REDIS_URL TEST_REDIS_CLUSTER_URL
dir=$(ts_services_up)
mkdir -p "$(dirname "$TS_MANUAL_ENV")"
cp "$dir/env" "$TS_MANUAL_ENV"
cat "$TS_MANUAL_ENV"
ts_log "stop with: pnpm services:down"
