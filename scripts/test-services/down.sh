#!/usr/bin/env bash
# Stops the services of `pnpm services:up` and deletes their data. Safe to repeat.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

if [[ ! -f $TS_MANUAL_ENV ]]; then
  ts_log "nothing to stop"
  exit 0
fi
dir=$(grep -E '^TEST_SERVICES_DIR=' "$TS_MANUAL_ENV" | cut -d= -f2-)
ts_services_down "$dir"
rm -f "$TS_MANUAL_ENV"
ts_log "stopped, removed $dir"
