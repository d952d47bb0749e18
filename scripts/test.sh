#!/usr/bin/env bash
# Build (if needed) and run the whole test suite with ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh build
ctest --test-dir build --output-on-failure -j"$(nproc)"
