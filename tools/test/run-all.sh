#!/usr/bin/env bash
# The whole suite: system packages, npm packages, build, lint, typecheck, every jest test
# (unit, store contract on real SQLite and Redis, e2e on real processes; privileged ones need
# root). Ends with the line `N passed, N failed`. Used verbatim by .ci/run.
set -uo pipefail
cd "$(dirname "$0")/../.."

bash tools/system-deps/install.sh || exit 1
# Every command below, and every process the tests start, runs on the Node of .node-version.
source tools/runtime/node-env.sh || exit 1
bash tools/system-deps/npm-install.sh || exit 1

export NX_DAEMON=false NX_NO_CLOUD=true NX_TUI=false FORCE_COLOR=0
mkdir -p tmp
steps=tmp/test-steps.txt
report=tmp/jest-report.json
e2e_report=tmp/jest-e2e-report.json
: >"$steps"
rm -f "$report" "$e2e_report"

step() {
  local name=$1
  shift
  echo "=== $name"
  if "$@"; then echo "$name ok" >>"$steps"; else echo "$name FAILED" >>"$steps"; fi
}

[ "$(id -u)" -eq 0 ] || echo "!!! not root: tests that need network namespaces and iptables will SKIP !!!" >&2

step build npx nx run-many -t build --outputStyle=static
step lint npx nx run-many -t lint --outputStyle=static -- --max-warnings 0
step typecheck npx nx run-many -t typecheck --outputStyle=static
echo "=== jest"
npx jest --ci --maxWorkers=2 --testPathIgnorePatterns=/tools/e2e/ --json --outputFile="$report" 2>&1 | grep -vE '^\s*$'
# The whole-chain harness runs alone: its OpenVPN tunnels and 100 MiB download would starve the
# 20,000-connection churn test of CPU if they shared the two cores.
echo "=== jest: end-to-end harness"
npx jest --ci --json --outputFile="$e2e_report" tools/e2e 2>&1 | grep -vE '^\s*$'
node tools/test/summarize.js "$steps" "$report" "$e2e_report"
