#!/usr/bin/env bash
# Installs the Debian packages synod needs, only when one is missing.
# Runs `apt-get update` first, as Debian's package lists may be stale or absent on a new machine.
set -euo pipefail
packages=(
  build-essential cmake ninja-build pkg-config clang clang-format libclang-rt-14-dev
  libsodium-dev libssl-dev librocksdb-dev libjemalloc-dev nlohmann-json3-dev libcli11-dev libtomlplusplus-dev
  libspdlog-dev libfmt-dev libasio-dev libgtest-dev libgmock-dev libbenchmark-dev
  chromium  # the explorer's browser test (tests/explorer/)
)
missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "ok installed"; then
    missing+=("$package")
  fi
done
# node and npm run the explorer's browser test; any install that provides them will do (a
# NodeSource nodejs bundles npm and conflicts with Debian's npm package).
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  missing+=(nodejs npm)
fi
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "synod: installing missing Debian packages: ${missing[*]}"
sudo_cmd=""
if [ "$(id -u)" -ne 0 ]; then sudo_cmd="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$sudo_cmd apt-get update
$sudo_cmd apt-get install -y --no-install-recommends "${missing[@]}"
