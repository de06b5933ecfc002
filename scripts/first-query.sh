#!/usr/bin/env bash
# scripts/first-query.sh [REPO] — how long a newcomer waits: from `git clone` to the README's
# federated query answered with data from all three subgraphs, on a cold package store.
#
# Clones REPO (default: this checkout) into a temporary folder, installs with an empty pnpm store
# of its own (every package downloaded, as on a new machine), runs `pnpm dev`, and sends the
# README's query until it is answered. Prints the seconds of each step. Needs pnpm and free ports
# 4000-4003 and 9400-9403; leaves nothing behind.
set -euo pipefail

repo=${1:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
work=$(mktemp -d /tmp/tessera-first-query.XXXXXX)
dev_pid=
cleanup() {
  # Ctrl-C as a terminal gives it: to dev itself (pnpm runs it in a process group of its own).
  if [[ -n $dev_pid ]]; then
    pkill -INT -f "$work/tessera/node_modules/.bin/../.pnpm/tsx" || true
    wait "$dev_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

query='{"query":"{ topProducts(first: 5) { name price { amount currency } averageRating reviews(first: 3) { edges { node { rating author { username } } } } } }"}'
now() { date +%s.%N; }
since() { printf '%.1f' "$(echo "$(now) - $1" | bc)"; }

start=$(now)
git clone --quiet "$repo" "$work/tessera"
cloned=$(now)
cd "$work/tessera"
pnpm install --store-dir "$work/store" --reporter=silent
installed=$(now)

pnpm dev >"$work/dev.log" 2>&1 &
dev_pid=$!
# Answered when a review's author came back: products, reviews and users all took part.
until curl -sf http://localhost:4000/graphql -H 'content-type: application/json' -d "$query" 2>/dev/null | grep -c '"username"' >/dev/null; do
  if ! kill -0 "$dev_pid" 2>/dev/null; then
    tail -40 "$work/dev.log" >&2
    echo "pnpm dev exited before answering" >&2
    exit 1
  fi
  sleep 0.5
done
answered=$(now)

echo "clone $(echo "$cloned - $start" | bc | xargs printf '%.1f') s, install $(echo "$installed - $cloned" | bc | xargs printf '%.1f') s (cold store), boot to first federated answer $(echo "$answered - $installed" | bc | xargs printf '%.1f') s: $(since "$start") s in all"
