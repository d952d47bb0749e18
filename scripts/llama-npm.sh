#!/usr/bin/env bash
# Installs the real llama.cpp for the reference checks and the bench: node-llama-cpp@3.22.1 and its prebuilt CPU
# library @node-llama-cpp/linux-x64@3.22.1 (llama.cpp release v0.5.0), pinned by tests/llama_cpp/package-lock.json,
# with `npm ci` into BUILD_DIR/npm-llama (no postinstall download, no optional platform packages, nothing built;
# nothing from node_modules is committed). Then compiles two C tools into BUILD_DIR/npm-llama/tools against that
# package's libraries, with the headers of the llama.cpp source it ships (llama/gitRelease.bundle): gguf_dump
# (ggml's own gguf_* parser) and llama_quantize (llama_model_quantize, pure). Usage: scripts/llama-npm.sh [BUILD_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
start=$(date +%s)
case "$build" in /*) npm_dir=$build/npm-llama ;; *) npm_dir=$PWD/$build/npm-llama ;; esac
tools="$npm_dir/tools"
mkdir -p "$npm_dir" "$tools"
cp tests/llama_cpp/package.json tests/llama_cpp/package-lock.json tests/llama_cpp/*.mjs "$npm_dir/"
NODE_LLAMA_CPP_SKIP_DOWNLOAD=true npm ci --prefix "$npm_dir" --omit=optional --ignore-scripts --no-audit --no-fund \
  --loglevel=error
echo "== npm ci done after $(( $(date +%s) - start )) s"

# Headers from the llama.cpp source the package ships (one squashed commit), so the C tools see exactly the API of
# the prebuilt library.
package="$npm_dir/node_modules/node-llama-cpp/llama"
bins="$npm_dir/node_modules/@node-llama-cpp/linux-x64/bins/linux-x64"
headers="$npm_dir/headers"
if [ ! -f "$headers/include/llama.h" ]; then
  rm -rf "$npm_dir/llama.git" "$headers"
  git init -q --bare "$npm_dir/llama.git"
  git -C "$npm_dir/llama.git" fetch -q "$package/gitRelease.bundle" HEAD:refs/heads/release
  mkdir -p "$headers"
  git -C "$npm_dir/llama.git" archive release include/llama.h ggml/include | tar -x -C "$headers"
  rm -rf "$npm_dir/llama.git"
fi
cflags=(-O1 -std=c11 -Wall -Wextra -Werror -I"$headers/include" -I"$headers/ggml/include")
cc "${cflags[@]}" tests/llama_cpp/gguf_dump.c -o "$tools/gguf_dump" -L"$bins" -l:libggml-base.so \
  -Wl,-rpath,"$bins" -lm
cc "${cflags[@]}" tests/llama_cpp/llama_quantize.c -o "$tools/llama_quantize" -L"$bins" -l:libllama.v0.5.0.so \
  -l:libggml-base.so -Wl,-rpath,"$bins"
echo "== C tools built after $(( $(date +%s) - start )) s"
