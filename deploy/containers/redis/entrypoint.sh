#!/bin/sh
# redis-server with protected mode off (the compose network is the boundary, as with the official image).
set -eu
if [ "$1" = redis-server ]; then shift; exec redis-server --protected-mode no "$@"; fi
exec "$@"
