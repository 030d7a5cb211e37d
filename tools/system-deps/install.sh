#!/usr/bin/env bash
# Installs the Debian packages tunnelgate's tests and relay use, and only those missing.
# Runs `apt-get update` once, and only when something has to be installed.
#   tools/system-deps/install.sh            everything the test suite needs
#   tools/system-deps/install.sh --relay    only what the relay itself needs
#   tools/system-deps/install.sh --bench    the tests' packages and the benchmark's peer proxies
set -euo pipefail

RELAY_PACKAGES=(iptables ipset nftables iproute2 openvpn openssl)
TEST_PACKAGES=("${RELAY_PACKAGES[@]}" redis-server conntrack iputils-ping tinyproxy curl)

packages=("${TEST_PACKAGES[@]}")
[ "${1:-}" = "--relay" ] && packages=("${RELAY_PACKAGES[@]}")
[ "${1:-}" = "--bench" ] && packages=("${TEST_PACKAGES[@]}" microsocks)

missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
done
# The deployment check renders kustomize with `kubectl kustomize`. Any kubectl will do; Debian's
# kubernetes-client (kubectl 1.20, kustomize v2) is the fallback, so overlays stay v2-compatible.
if [ "${1:-}" != "--relay" ] && ! command -v kubectl >/dev/null; then
  missing+=(kubernetes-client)
fi
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "tunnelgate: missing Debian packages: ${missing[*]}" >&2
  echo "tunnelgate: run as root, or: sudo apt-get install ${missing[*]}" >&2
  exit 1
fi
echo "tunnelgate: installing ${missing[*]}" >&2
apt-get update -qq
# Services these packages ship (redis, tinyproxy) are not wanted running: tests start their own.
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
