# shellcheck shell=bash
# Shared functions of the test-services scripts (up.sh, down.sh, run.sh). Sourced, not run.
#
# A services directory (mktemp under /tmp, so the postgres user can reach it) holds
# everything of one set of throwaway servers:
#   env                 KEY=value lines exported to the tests
#   postgres/{data,run,postgres.log}
#   redis/{redis.conf,redis.pid,redis.log}

# Callers run with `set -euo pipefail`; keep it inside $(...) too.
shopt -s inherit_errexit

# The system's own tools (runuser, debootstrap, haproxy) live in the sbin folders, which a bare
# PATH (a CI job's `env -i`, a non-root login) leaves out.
for dir in /usr/local/sbin /usr/sbin /sbin; do [[ :$PATH: == *:$dir:* ]] || PATH=$PATH:$dir; done
export PATH

readonly TS_REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# Where `pnpm services:up` records the services it started, for `pnpm services:down`,
# run.sh and vitest.config.ts. Inside the repo's ignored .tmp/.
readonly TS_MANUAL_ENV="$TS_REPO_ROOT/.tmp/test-services.env"
# First ports tried; below the Linux ephemeral range so no outgoing connection can take
# Redis's port while a test has it stopped.
readonly TS_PG_BASE_PORT="${TEST_SERVICES_PG_PORT:-25432}"
readonly TS_REDIS_BASE_PORT="${TEST_SERVICES_REDIS_PORT:-26379}"

ts_log() { printf '[test-services] %s\n' "$*" >&2; }
ts_die() { ts_log "error: $*"; exit 1; }

# True when something accepts TCP connections on 127.0.0.1:$1.
ts_port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# First port from $1 on that nothing listens on.
ts_pick_port() {
  local port=$1
  while ts_port_in_use "$port"; do port=$((port + 1)); done
  echo "$port"
}

# The newest PostgreSQL server bin directory, or nothing. TEST_SERVICES_PG_BINDIR wins.
ts_pg_bindir() {
  if [[ -n ${TEST_SERVICES_PG_BINDIR:-} ]]; then echo "$TEST_SERVICES_PG_BINDIR"; return 0; fi
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  if [[ -n $dir && -x $dir/postgres ]]; then echo "$dir"; return 0; fi
  if command -v pg_ctl >/dev/null && command -v initdb >/dev/null; then
    dirname "$(readlink -f "$(command -v pg_ctl)")"
  fi
}

ts_redis_server() { command -v redis-server || true; }

# Installs the Debian packages for whichever of "postgres", "redis", "haproxy", "pgbouncer",
# "kubectl", "containers" ($@) is missing.
# Nothing at all (not even apt-get update) when the binaries are already there.
ts_ensure_installed() {
  local packages=() wanted
  for wanted in "$@"; do
    case $wanted in
      postgres) [[ -n $(ts_pg_bindir) ]] || packages+=(postgresql) ;;
      redis) [[ -n $(ts_redis_server) ]] || packages+=(redis-server) ;;
      # Started by the scale-out tests themselves (deploy/verification/scale-out.ts); kubectl renders
      # the Kubernetes manifests for their offline validation.
      haproxy) command -v haproxy >/dev/null || packages+=(haproxy) ;;
      pgbouncer) command -v pgbouncer >/dev/null || packages+=(pgbouncer) ;;
      kubectl) command -v kubectl >/dev/null || packages+=(kubernetes-client) ;;
      # The real images (deploy/test/images.test.ts): podman with runc, buildah, debootstrap for
      # the Debian base image (deploy/scripts/podman-base.sh) and podman-compose for compose.yaml.
      containers)
        command -v podman >/dev/null || packages+=(podman)
        command -v runc >/dev/null || packages+=(runc)
        command -v buildah >/dev/null || packages+=(buildah)
        command -v debootstrap >/dev/null || packages+=(debootstrap)
        command -v podman-compose >/dev/null || packages+=(podman-compose)
        # What podman only recommends, and so --no-install-recommends leaves out: the init that
        # `podman kube play` puts in each pod, and the DNS plugin through which compose's
        # containers find each other by service name.
        command -v catatonit >/dev/null || [[ -x /usr/libexec/podman/catatonit ]] || packages+=(catatonit)
        [[ -x /usr/lib/cni/dnsname ]] || packages+=(golang-github-containernetworking-plugin-dnsname)
        ;;
    esac
  done
  ((${#packages[@]})) || return 0

  local hint="install them, or point TEST_POSTGRES_URL / TEST_REDIS_URL at running servers"
  command -v apt-get >/dev/null || ts_die "${packages[*]} missing and no apt-get: $hint"
  local sudo=()
  if ((EUID != 0)); then
    command -v sudo >/dev/null || ts_die "${packages[*]} missing and not root: $hint"
    sudo=(sudo)
  fi
  ts_log "installing ${packages[*]} (apt-get)"
  # The packages' own services must not start: no systemd here, and we run our own
  # throwaway instances. policy-rc.d exit 101 = "action forbidden" for invoke-rc.d.
  local policy=/usr/sbin/policy-rc.d added_policy=
  if [[ ! -e $policy ]]; then
    printf '#!/bin/sh\nexit 101\n' | "${sudo[@]}" tee "$policy" >/dev/null
    "${sudo[@]}" chmod 755 "$policy"
    added_policy=1
  fi
  local status=0
  "${sudo[@]}" apt-get update -qq >&2 &&
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
      apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null || status=$?
  [[ -z $added_policy ]] || "${sudo[@]}" rm -f "$policy"
  ((status == 0)) || ts_die "apt-get install ${packages[*]} failed ($status)"
}

# Runs a PostgreSQL binary as an unprivileged user: the server refuses to run as root.
# From /, as the repository may sit where that user cannot enter (e.g. /root).
ts_as_pg_user() {
  if ((EUID == 0)); then (cd / && runuser -u postgres -- "$@"); else "$@"; fi
}

# Starts a throwaway PostgreSQL in $1/postgres; appends TEST_POSTGRES_URL to $1/env.
# TS_PG_EXTRA_CONF: lines appended to its postgresql.conf (later lines win).
ts_start_postgres() {
  local dir=$1/postgres bindir port
  bindir=$(ts_pg_bindir)
  [[ -n $bindir ]] || ts_die "no PostgreSQL server binaries found"
  if ((EUID == 0)) && ! id postgres >/dev/null 2>&1; then
    useradd --system --home-dir /nonexistent --shell /usr/sbin/nologin postgres
  fi
  mkdir -p "$dir/data" "$dir/run"
  ((EUID != 0)) || chown -R postgres: "$dir"
  ts_as_pg_user "$bindir/initdb" --pgdata="$dir/data" --username=postgres --auth=trust \
    --encoding=UTF8 --locale=C --no-sync >"$dir/initdb.log" 2>&1 ||
    { cat "$dir/initdb.log" >&2; ts_die "initdb failed"; }
  port=$(ts_pick_port "$TS_PG_BASE_PORT")
  # Durability off (a crash only loses throwaway data); pg_stat_statements preloaded
  # for the statement-counting tests; enough connections for four services' pools.
  cat >>"$dir/data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir/run'
max_connections = 300
shared_preload_libraries = 'pg_stat_statements'
fsync = off
synchronous_commit = off
full_page_writes = off
wal_level = minimal
max_wal_senders = 0
max_wal_size = 1GB
checkpoint_timeout = 1h
${TS_PG_EXTRA_CONF:-}
CONF
  ts_as_pg_user "$bindir/pg_ctl" --pgdata="$dir/data" --log="$dir/postgres.log" \
    --wait --timeout=60 start >/dev/null ||
    { cat "$dir/postgres.log" >&2; ts_die "PostgreSQL did not start"; }
  echo "TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:$port/postgres" >>"$1/env"
  ts_log "PostgreSQL $("$bindir/postgres" --version | awk '{print $3}') on 127.0.0.1:$port"
}

ts_stop_postgres() {
  local data=$1/postgres/data bindir
  [[ -f $data/postmaster.pid ]] || return 0
  bindir=$(ts_pg_bindir)
  if ! ts_as_pg_user "$bindir/pg_ctl" --pgdata="$data" --mode=immediate --wait --timeout=30 \
    stop >/dev/null 2>&1; then
    local pid
    pid=$(head -n 1 "$data/postmaster.pid" 2>/dev/null || true)
    [[ -z $pid ]] || kill -KILL "$pid" 2>/dev/null || true
  fi
}

# Starts a throwaway Redis in $1/redis; appends TEST_REDIS_URL and TEST_REDIS_CONF to $1/env.
# The config file is the whole recipe, so tests can stop and start the same server
# again (see test/helpers/src/redis-control.ts).
ts_start_redis() {
  local dir=$1/redis server port
  server=$(ts_redis_server)
  [[ -n $server ]] || ts_die "no redis-server found"
  mkdir -p "$dir"
  port=$(ts_pick_port "$TS_REDIS_BASE_PORT")
  cat >"$dir/redis.conf" <<CONF
bind 127.0.0.1
port $port
daemonize yes
pidfile $dir/redis.pid
logfile $dir/redis.log
dir $dir
save ""
appendonly no
CONF
  "$server" "$dir/redis.conf" || ts_die "redis-server did not start: $(tail -n 5 "$dir/redis.log" 2>/dev/null)"
  local tries=0
  until ts_port_in_use "$port"; do
    ((++tries < 100)) || ts_die "Redis not listening on $port: $(tail -n 5 "$dir/redis.log")"
    sleep 0.1
  done
  {
    echo "TEST_REDIS_URL=redis://127.0.0.1:$port"
    echo "TEST_REDIS_CONF=$dir/redis.conf"
  } >>"$1/env"
  ts_log "Redis $("$server" --version | awk '{print $3}' | cut -d= -f2) on 127.0.0.1:$port"
}

ts_stop_redis() {
  local pidfile=$1/redis/redis.pid pid tries=0
  [[ -f $pidfile ]] || return 0
  pid=$(cat "$pidfile" 2>/dev/null || true)
  [[ -n $pid ]] && kill -TERM "$pid" 2>/dev/null || return 0
  while kill -0 "$pid" 2>/dev/null; do
    if ((++tries > 50)); then kill -KILL "$pid" 2>/dev/null || true; break; fi
    sleep 0.1
  done
}

# Starts a throwaway three-node Redis Cluster (masters only) in $1/redis-cluster, for the tests
# that prove the caches, persisted queries and rate limits on one; appends TEST_REDIS_CLUSTER_URL
# (a seed node: clients find the others) to $1/env.
ts_start_redis_cluster() {
  local dir=$1/redis-cluster server port nodes=() i
  server=$(ts_redis_server)
  port=$(ts_pick_port "$((TS_REDIS_BASE_PORT + 100))")
  for i in 0 1 2; do
    while ts_port_in_use "$port" || ts_port_in_use "$((port + 10000))"; do port=$((port + 1)); done
    mkdir -p "$dir/$port"
    cat >"$dir/$port/redis.conf" <<CONF
bind 127.0.0.1
port $port
daemonize yes
pidfile $dir/$port/redis.pid
logfile $dir/$port/redis.log
dir $dir/$port
save ""
appendonly no
cluster-enabled yes
cluster-config-file $dir/$port/nodes.conf
cluster-node-timeout 2000
CONF
    "$server" "$dir/$port/redis.conf" || ts_die "cluster node $port did not start: $(tail -n 5 "$dir/$port/redis.log" 2>/dev/null)"
    nodes+=("127.0.0.1:$port")
    port=$((port + 1))
  done
  for i in "${nodes[@]}"; do
    local tries=0
    until ts_port_in_use "${i##*:}"; do
      ((++tries < 100)) || ts_die "cluster node $i not listening"
      sleep 0.1
    done
  done
  redis-cli --cluster create "${nodes[@]}" --cluster-replicas 0 --cluster-yes >"$dir/create.log" 2>&1 ||
    ts_die "redis-cli --cluster create failed: $(tail -n 5 "$dir/create.log")"
  local tries=0
  until redis-cli -p "${nodes[0]##*:}" cluster info 2>/dev/null | grep -q 'cluster_state:ok'; do
    ((++tries < 100)) || ts_die "Redis Cluster not ok: $(redis-cli -p "${nodes[0]##*:}" cluster info | head -n 3)"
    sleep 0.1
  done
  echo "TEST_REDIS_CLUSTER_URL=redis://${nodes[0]}" >>"$1/env"
  ts_log "Redis Cluster of three nodes on ${nodes[*]}"
}

ts_stop_redis_cluster() {
  local pidfile pid
  for pidfile in "$1"/redis-cluster/*/redis.pid; do
    [[ -f $pidfile ]] || continue
    pid=$(cat "$pidfile" 2>/dev/null || true)
    [[ -n $pid ]] && kill -KILL "$pid" 2>/dev/null || true
  done
  return 0
}

# True when the servers named in env file $1 still answer.
ts_env_alive() {
  local url port
  for url in $(grep -E '^TEST_(POSTGRES|REDIS|REDIS_CLUSTER)_URL=' "$1" | cut -d= -f2-); do
    port=${url##*:}
    port=${port%%/*}
    ts_port_in_use "$port" || return 1
  done
}

# Starts in a new services directory whichever server the environment does not already
# provide (TEST_POSTGRES_URL / TEST_REDIS_URL), installing it first if needed, and
# prints the directory. Its env file lists what the tests must see.
ts_services_up() {
  local dir wanted=()
  [[ -n ${TEST_POSTGRES_URL:-} ]] || wanted+=(postgres)
  [[ -n ${TEST_REDIS_URL:-} ]] || wanted+=(redis)
  [[ -n ${TEST_REDIS_CLUSTER_URL:-} ]] || wanted+=(redis-cluster)
  ts_ensure_installed "${wanted[@]}" redis haproxy pgbouncer kubectl containers
  dir=$(mktemp -d /tmp/tessera-test-services.XXXXXX)
  chmod 755 "$dir" # the postgres user must reach its data directory inside
  echo "TEST_SERVICES_DIR=$dir" >"$dir/env"
  # Stop what did start if the rest fails.
  trap 'set +e; ts_services_down "'"$dir"'"' EXIT
  [[ " ${wanted[*]} " != *" postgres "* ]] || ts_start_postgres "$dir"
  [[ " ${wanted[*]} " != *" redis "* ]] || ts_start_redis "$dir"
  [[ " ${wanted[*]} " != *" redis-cluster "* ]] || ts_start_redis_cluster "$dir"
  trap - EXIT
  echo "$dir"
}

# Stops the servers of services directory $1 and deletes it. Safe to repeat.
# Every `return` in what this calls names its status: in an EXIT trap a bare `return`
# would return the status that triggered the trap.
ts_services_down() {
  local dir=$1
  [[ -d $dir ]] || return 0
  ts_stop_postgres "$dir"
  ts_stop_redis "$dir"
  ts_stop_redis_cluster "$dir"
  rm -rf "$dir"
}
