#!/usr/bin/env bash
# `pnpm image:build`: the Dockerfile's four images, built with podman as tessera/<service>:local
# (the names compose.yaml and the test overlay of deploy/k8s use). The base images come from
# podman-base.sh when no registry is reachable. Behind a TLS-inspecting proxy, the machine's CA
# bundle (NODE_EXTRA_CA_CERTS, else Debian's) is mounted into the build with an .npmrc naming it:
# npm and pnpm trust it while installing, and nothing of it is left in any layer.
# `postgres`, `pgbouncer` and `redis` build compose.yaml's backing services from Debian's packages
# (deploy/containers/<name>/, named as deploy/compose/podman.yaml expects), for where their
# images cannot be pulled.
#
#   pnpm image:build [image ...]      (default: gateway users products reviews)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/podman-env.sh"
cd "$TESSERA_ROOT"

# One build at a time on a machine (test files that need the images may start together): a
# second waits, then finds every layer cached.
exec 9>/var/tmp/tessera-image-build.lock
flock 9
started_at="$(date +%s)"

bash deploy/scripts/podman-base.sh
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(gateway users products reviews)

mounts=()
ca="${NODE_EXTRA_CA_CERTS:-/etc/ssl/certs/ca-certificates.crt}"
if [ -f "$ca" ]; then
  npmrc="$(mktemp /var/tmp/tessera-npmrc.XXXXXX)"
  trap 'rm -f "$npmrc"' EXIT
  printf 'cafile=/run/tessera-build/ca.crt\n' >"$npmrc"
  mounts+=(--volume "$ca:/run/tessera-build/ca.crt:ro,Z" --volume "$npmrc:/root/.npmrc:ro,Z")
fi

# The machine's pnpm store, where CI's own install already put every package: the build's
# `pnpm install` copies from it instead of downloading again (a mount: never in a layer).
store="$(pnpm store path 2>/dev/null || true)"
if [ -n "$store" ] && [ -d "$store" ]; then
  mounts+=(--volume "$store:/root/.local/share/pnpm/store/$(basename "$store"):Z")
fi

# Docker's format: OCI's drops HEALTHCHECK. Host network: the build reaches the npm registry
# (and Debian's mirror) as this machine does.
build=(podman build --quiet --pull=never --format docker --network host)
for target in "${targets[@]}"; do
  started=$SECONDS
  case "$target" in
    gateway | users | products | reviews)
      name="tessera/$target:local"
      "${build[@]}" "${mounts[@]}" --target "$target" -t "$name" . >/dev/null
      ;;
    postgres | pgbouncer | redis)
      name="localhost/tessera/$target:bookworm"
      "${build[@]}" -t "$name" "deploy/containers/$target" >/dev/null
      ;;
    *) echo "image:build: no image $target" >&2; exit 2 ;;
  esac
  echo "image:build: $name in $((SECONDS - started)) s, $(podman image inspect --format '{{.Size}}' "$name" | awk '{printf "%.0f MB", $1 / 1e6}')"
done

# What earlier builds left untagged (each commit's build stage is about 2 GB): without this, a CI
# machine's disk fills within days. This build's own layers are kept, so the next build reuses them.
podman image prune --force --filter "until=$started_at" >/dev/null
