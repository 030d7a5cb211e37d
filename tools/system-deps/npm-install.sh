#!/usr/bin/env bash
# `npm ci` when node_modules is missing, older than the lock file, or was installed by another
# Node release (native addons are built for one ABI); otherwise nothing. Expects the pinned Node
# first on PATH (tools/runtime/node-env.sh).
set -euo pipefail
cd "$(dirname "$0")/../.."
installed_by=node_modules/.tunnelgate-node-version
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ] ||
  [ "$(cat "$installed_by" 2>/dev/null)" != "$(node --version)" ]; then
  # SCARF_ANALYTICS: swagger-ui-dist's @scarf/scarf would report the install to a third party.
  SCARF_ANALYTICS=false npm ci --no-audit --no-fund
  node --version >"$installed_by"
fi
