#!/usr/bin/env bash
# Regenerates the fuzz seed corpora from bundles converted from the fixtures: fixtures/fuzz/manifest (whole
# manifest.pb files, for fuzz_manifest) and fixtures/fuzz/graph (their text_graph as a bare hfb.bundle.OpGraph,
# for fuzz_graph). Needs build/cli/hfbundle and protoc. Run after a manifest format change.
set -euo pipefail
cd "$(dirname "$0")/.."
hfb=build/cli/hfbundle
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p fixtures/fuzz/manifest fixtures/fuzz/graph
convert() {  # name source flags...
  local name=$1 src=$2
  shift 2
  "$hfb" convert "fixtures/gemma4/$src" -o "$tmp/$name.hfb" --quiet "$@"
  cp "$tmp/$name.hfb/manifest.pb" "fixtures/fuzz/manifest/$name.pb"
  # text_graph is field 12 of Manifest: decode to text, keep that block, encode it as an OpGraph.
  protoc -Iformats --decode=hfb.bundle.Manifest formats/bundle.proto < "$tmp/$name.hfb/manifest.pb" |
    awk '/^text_graph \{/{on=1; next} on && /^\}/{on=0} on{sub(/^  /, ""); print}' |
    protoc -Iformats --encode=hfb.bundle.OpGraph formats/bundle.proto > "fixtures/fuzz/graph/$name.pb"
}
convert sample-q4_0 sample --quant q4_0
convert sample-int8-zstd sample --quant int8 --zstd 3 --chunks 0-1,2-3
convert grid-q4_0 grid-q4_0 --quant q4_0
convert mm-int8 mm --quant int8
rm fixtures/fuzz/manifest/mm-int8.pb  # 340 KB: slows fuzz_manifest to ~80 exec/s; its graph is kept
convert text-kveqv-kmeans4 text-kveqv --quant kmeans4
# Graphs that came out identical (same model, other quantization) are one seed.
for f in fixtures/fuzz/graph/*.pb; do
  for g in fixtures/fuzz/graph/*.pb; do
    [ "$f" \< "$g" ] && [ -f "$f" ] && [ -f "$g" ] && cmp -s "$f" "$g" && rm "$g"
  done
done
ls -l fixtures/fuzz/manifest fixtures/fuzz/graph
