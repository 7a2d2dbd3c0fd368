#!/usr/bin/env bash
# Installs everything Vigil needs to build and test, from Debian packages only.
# Idempotent: packages already present are left alone; safe to run repeatedly.
set -euo pipefail

packages=(
  build-essential cmake pkg-config ninja-build
  libyaml-cpp-dev libcpp-httplib-dev librocksdb-dev nlohmann-json3-dev
  libabsl-dev libcli11-dev libgtest-dev libgmock-dev libbenchmark-dev
  libssl-dev libvirt-dev libvirt-clients
  curl procps iproute2
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# The real kubectl is a client in the end-to-end tests; Debian ships an older one.
command -v kubectl >/dev/null 2>&1 || missing+=(kubernetes-client)

if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
echo "install-deps: all build and test dependencies present"
