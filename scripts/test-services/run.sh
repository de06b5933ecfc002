#!/usr/bin/env bash
# run.sh <command> [args...]
#
# Runs a command (the test suite) with PostgreSQL and Redis servers, exported as
# TEST_POSTGRES_URL and TEST_REDIS_URL (+ TEST_REDIS_CONF when the tests may stop and
# start Redis), and a three-node Redis Cluster, TEST_REDIS_CLUSTER_URL. Servers come from, in order:
#   1. TEST_POSTGRES_URL / TEST_REDIS_URL already set: used as they are;
#   2. a running `pnpm services:up` (.tmp/test-services.env): reused, left running;
#   3. otherwise throwaway servers started now (installed with apt-get if missing) and
#      stopped and deleted when the command ends, fails or is interrupted.
# Exits with the command's status.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

(($# > 0)) || ts_die "usage: run.sh <command> [args...]"

if [[ -z ${TEST_POSTGRES_URL:-} || -z ${TEST_REDIS_URL:-} || -z ${TEST_REDIS_CLUSTER_URL:-} ]] &&
  [[ -f $TS_MANUAL_ENV ]] && ts_env_alive "$TS_MANUAL_ENV"; then
  ts_log "using the servers of pnpm services:up ($TS_MANUAL_ENV)"
  redis_preset=${TEST_REDIS_URL:-}
  while IFS='=' read -r name value; do
    # Its Redis config controls its own Redis only, not one given in TEST_REDIS_URL.
    [[ $name == TEST_REDIS_CONF && -n $redis_preset ]] && continue
    [[ -n ${!name:-} ]] || export "$name=$value"
  done <"$TS_MANUAL_ENV"
fi

if [[ -z ${TEST_POSTGRES_URL:-} || -z ${TEST_REDIS_URL:-} || -z ${TEST_REDIS_CLUSTER_URL:-} ]]; then
  dir=$(ts_services_up)
  trap 'set +e; ts_services_down "$dir"' EXIT
  # Deferred until the command returns; then EXIT tears down.
  trap 'exit 130' INT
  trap 'exit 143' TERM
  set -a
  source "$dir/env"
  set +a
fi

status=0
"$@" || status=$?
exit "$status"
