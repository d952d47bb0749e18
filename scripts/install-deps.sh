#!/usr/bin/env bash
# Install every build and test dependency of hfbundle from Debian's packages (run as root).
set -euo pipefail
packages=(
  build-essential cmake pkg-config clang libclang-rt-14-dev
  libzip-dev nlohmann-json3-dev libprotobuf-dev protobuf-compiler libzstd-dev
  libopenblas-dev libcli11-dev libgtest-dev libgmock-dev libbenchmark-dev libxxhash-dev
  libsndfile1-dev libpng-dev libjpeg-dev
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
