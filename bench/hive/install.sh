#!/usr/bin/env bash
# Installs Hive Gateway for `pnpm bench:gateway` from its own lockfile, once per change of that
# lockfile: it is a peer the benchmark runs, not a part of Tessera, so `pnpm install` leaves it out.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
if cmp -s package-lock.json node_modules/.installed-lock 2>/dev/null; then exit 0; fi
echo "[bench] installing Hive Gateway (bench/hive, once)" >&2
npm ci --no-audit --no-fund --loglevel=error
cp package-lock.json node_modules/.installed-lock
