#!/usr/bin/env bash
# bench/llama_cpp_compare: hfbundle next to the real llama.cpp on the E2B-shaped synthetic checkpoint, in one run
# (issues #14 and #19). Run by hand, not in CI's test stage.
#   1. hfb_decode_bench --schemes q4_0 --keep writes the synthetic bf16 checkpoint (bench/synthetic_e2b.h), converts
#      it to a q4_0 bundle and measures hfbundle's runtime on it (128-token prompt prefill, 64 decode steps);
#   2. `hfbundle convert CKPT --format gguf --quant q4_0` of the same checkpoint under /usr/bin/time -v (wall time,
#      peak RSS);
#   3. llama.cpp (node-llama-cpp 3.22.1's prebuilt CPU library, release v0.5.0; scripts/llama-npm.sh) on that GGUF:
#      the same prompt and step count (tests/llama_cpp/llama_speed.mjs), llama.cpp's default f16 KV cache;
#   4. a table with the ratios hfbundle / llama.cpp, the read bandwidth and the load average.
# Needs the hfbundle and hfb_decode_bench targets built in BUILD_DIR (and ~14 GB free in DIR for 35 layers).
# Usage: bench/llama_cpp_compare.sh [BUILD_DIR] [--layers N] [--threads T] [--dir DIR] [--keep]
set -euo pipefail
cd "$(dirname "$0")/.."
build=build
if [ $# -gt 0 ] && [[ "$1" != --* ]]; then build=$1; shift; fi
layers=35 threads=2 dir=/tmp/hfb_llama_compare keep=0
while [ $# -gt 0 ]; do
  case "$1" in
    --layers) layers=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --dir) dir=$2; shift 2 ;;
    --keep) keep=1; shift ;;
    *) echo "usage: $0 [BUILD_DIR] [--layers N] [--threads T] [--dir DIR] [--keep]" >&2; exit 2 ;;
  esac
done
case "$build" in /*) build_abs=$build ;; *) build_abs=$PWD/$build ;; esac
hfbundle="$build_abs/cli/hfbundle"
decode_bench="$build_abs/bench/hfb_decode_bench"
for f in "$hfbundle" "$decode_bench"; do
  [ -x "$f" ] || { echo "llama_cpp_compare: $f not built (cmake --build $build --target hfbundle hfb_decode_bench)" >&2; exit 2; }
done
scripts/llama-npm.sh "$build" > /dev/null
mkdir -p "$dir"
ckpt="$dir/e2b-$layers"
gguf="$dir/e2b-$layers-q4_0.gguf"
echo "== load average before: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores"

# 1. checkpoint + hfbundle's runtime on the q4_0 bundle (decode_bench prints its own table).
"$decode_bench" --layers "$layers" --threads "$threads" --schemes q4_0 --dir "$dir" --keep | tee "$dir/decode_bench.txt"
hfb_row=$(awk '$1 == "q4_0" {print}' "$dir/decode_bench.txt")
[ -n "$hfb_row" ] || { echo "llama_cpp_compare: decode_bench printed no q4_0 row" >&2; exit 1; }
read -r _ hfb_load hfb_prefill hfb_decode _ <<< "$hfb_row"

# 2. the q4_0 GGUF of the same checkpoint: wall time and peak RSS of hfbundle convert.
/usr/bin/time -v "$hfbundle" convert "$ckpt" --format gguf --quant q4_0 -o "$gguf" --force --quiet \
  2> "$dir/convert_time.txt"
convert_wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$dir/convert_time.txt")
convert_rss_kib=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$dir/convert_time.txt")

# 3. llama.cpp on that GGUF.
llama_json=$(node "$build_abs/npm-llama/llama_speed.mjs" "$gguf" --threads "$threads" --prompt-tokens 128 --steps 64)
field() { node -e "console.log(JSON.parse(process.argv[1])[process.argv[2]])" "$llama_json" "$1"; }
llama_load=$(field load_s) llama_prefill=$(field prompt_tokens_per_s) llama_decode=$(field decode_tokens_per_s)

# 4. the side-by-side.
echo
echo "== E2B text shapes, $layers layers, q4_0, $threads threads, 128-token prompt, 64 decode steps"
echo "hfbundle convert --format gguf --quant q4_0: wall $convert_wall, peak RSS $(( convert_rss_kib / 1024 )) MiB," \
  "GGUF $(( $(stat -c %s "$gguf") / 1048576 )) MiB"
awk -v hl="$hfb_load" -v hp="$hfb_prefill" -v hd="$hfb_decode" -v ll="$llama_load" -v lp="$llama_prefill" \
  -v ld="$llama_decode" 'BEGIN {
    printf "%-34s %8s %12s %12s\n", "", "load s", "prefill t/s", "decode t/s"
    printf "%-34s %8.2f %12.2f %12.2f\n", "hfbundle run (q4_0 bundle)", hl, hp, hd
    printf "%-34s %8.2f %12.2f %12.2f\n", "llama.cpp v0.5.0 (q4_0 GGUF)", ll, lp, ld
    printf "%-34s %8s %12.2f %12.2f\n", "ratio hfbundle / llama.cpp", "", hp / lp, hd / ld
  }'
echo "== load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
if [ "$keep" = 0 ]; then rm -rf "$ckpt" "$gguf" "$dir"/e2b-"$layers"-q4_0.hfb; fi
