# Sourced by the container scripts: podman with the project's settings, and whether it can run.
TESSERA_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export CONTAINERS_CONF="${CONTAINERS_CONF:-$TESSERA_ROOT/deploy/containers/containers.conf}"

# The Node image the Dockerfile builds FROM (its ARG NODE_IMAGE), as a fully qualified name.
tessera_node_image() {
  local image
  image="$(sed -n 's/^ARG NODE_IMAGE=//p' "$TESSERA_ROOT/Dockerfile")"
  case "$image" in
    */*) echo "$image" ;;
    *) echo "docker.io/library/$image" ;;
  esac
}
