#!/usr/bin/env bash
# Checks hfbundle's GGUF files with the real llama.cpp (node-llama-cpp@3.22.1's prebuilt CPU library, release
# v0.5.0; installed into BUILD_DIR/npm-llama by scripts/llama-npm.sh): tests/llama_cpp/llama_checks.mjs runs greedy
# ids against the goldens, byte comparisons with llama-quantize and llama.cpp's converter output, and the mmproj
# comparison. Prints a table and PASS/FAIL; exits non-zero on any failure.
# Usage: scripts/llama-reference.sh [BUILD_DIR] [--reference-only] [--sets a,b]
# HFB_LLAMA_THREADS=N overrides llama.cpp's 2 threads (use 1 on a machine busier than its cores).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
shift || true
start=$(date +%s)
hfbundle="$PWD/$build/cli/hfbundle"
if [[ " $* " != *" --reference-only "* ]]; then
  [ -x "$hfbundle" ] || { echo "llama-reference: $hfbundle not built" >&2; exit 2; }
fi
scripts/llama-npm.sh "$build"
npm_dir="$PWD/$build/npm-llama"
status=0
node "$npm_dir/llama_checks.mjs" --hfbundle "$hfbundle" --fixtures "$PWD/fixtures/gemma4" --tools "$npm_dir/tools" \
  --work "$PWD/$build/llama-work" "$@" || status=$?
echo "== llama.cpp reference checks took $(( $(date +%s) - start )) s"
exit "$status"
