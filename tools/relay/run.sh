#!/usr/bin/env bash
# Installs what the relay needs, builds it, and runs it on embedded defaults (SQLite in ./data).
set -euo pipefail
cd "$(dirname "$0")/../.."
bash tools/system-deps/install.sh --relay
source tools/runtime/node-env.sh
bash tools/system-deps/npm-install.sh
NX_DAEMON=false NX_NO_CLOUD=true npx nx run-many -t build --outputStyle=static >/dev/null
exec node tools/relay/start.js
