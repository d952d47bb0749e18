#!/usr/bin/env bash
# The size / quality frontier of text-trained (issue 21), every figure of docs/quality.md and the calibration table
# of docs/quantization.md, teacher-forced against the float32 checkpoint (mean / p99 KL in nats, top-1 agreement).
#   1. uniform schemes and `--quant auto` (calibrated on golden.json's prompts, the default) at each budget,
#      evaluated on the held-out eval-ids.txt;
#   2. `--quant auto --calibrate` on one half of eval.txt, evaluated on the other half of eval-ids.txt (both ways);
#   3. calibrated against uncalibrated kmeans4 / int4 per block 32 / int8, same size, calibrated on one half of
#      eval.txt and evaluated on the other half of eval-ids.txt (both ways).
# Usage: bench/quality_frontier.sh [BUILD_DIR] [BUDGET ...]   (defaults: build, 2e-4 5e-4 1e-3)
set -euo pipefail
build=${1:-build}
shift || true
budgets=("$@")
[ ${#budgets[@]} -gt 0 ] || budgets=(2e-4 5e-4 1e-3)
hfb="$build/cli/hfbundle"
fixture=fixtures/gemma4/text-trained
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
head -n 16 "$fixture/eval.txt" >"$work/text1.txt"
tail -n +17 "$fixture/eval.txt" >"$work/text2.txt"
head -n 16 "$fixture/eval-ids.txt" >"$work/ids1.txt"
tail -n +17 "$fixture/eval-ids.txt" >"$work/ids2.txt"
for set in all 1 2; do
  ids="$fixture/eval-ids.txt"
  [ "$set" = all ] || ids="$work/ids$set.txt"
  "$hfb" eval "$fixture" --against "$fixture" --ids-file "$ids" --save-reference "$work/ref-$set.bin" --quiet >/dev/null
done
row() {  # name, convert json, bundle, reference set, [budget]
  local bytes json
  bytes=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["tensor_bytes"])' "$2")
  json=$("$hfb" eval "$3" --reference "$work/ref-$4.bin" --json --quiet)
  python3 - "$1" "$bytes" "$json" "${5:-}" <<'PY'
import json, sys
name, size, r, budget = sys.argv[1], int(sys.argv[2]), json.loads(sys.argv[3]), sys.argv[4]
kl = r['kl_divergence_mean']
meets = " |" if budget == "-" else "" if not budget else (" | yes" if kl <= float(budget) else " | **no**")
print(f"| {name} | {size:,} | {kl:.3g} | {r['kl_divergence_p99']:.3g} | "
      f"{100 * r['teacher_forced_top1_agreement']:.2f} % | {r['perplexity_ours']:.4f}{meets} |")
PY
}
echo "## 1. uniform schemes and auto (default calibration), held-out eval-ids.txt"
echo "| recipe | tensor bytes | mean KL | p99 KL | top-1 | perplexity | within budget |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | --- |"
for scheme in none int4 q4_0 kmeans4 int8 q8_0; do
  "$hfb" convert "$fixture" -o "$work/$scheme.hfb" --quant "$scheme" --json --quiet >"$work/$scheme.json"
  row "$scheme" "$work/$scheme.json" "$work/$scheme.hfb" all -
done
for budget in "${budgets[@]}"; do
  "$hfb" convert "$fixture" -o "$work/auto.hfb" --quant auto --max-kl "$budget" --json --quiet --force \
    >"$work/auto.json"
  row "auto --max-kl $budget" "$work/auto.json" "$work/auto.hfb" all "$budget"
done
echo
echo "## 2. auto calibrated on one half of eval.txt, evaluated on the other half of eval-ids.txt"
echo "| recipe | tensor bytes | mean KL | p99 KL | top-1 | perplexity | within budget |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | --- |"
for budget in "${budgets[@]}"; do
  for half in 1 2; do
    other=$((3 - half))
    "$hfb" convert "$fixture" -o "$work/auto.hfb" --quant auto --max-kl "$budget" --calibrate "$work/text$half.txt" \
      --json --quiet --force >"$work/auto.json"
    row "auto --max-kl $budget, calibrated on half $half, evaluated on half $other" "$work/auto.json" \
      "$work/auto.hfb" "$other" "$budget"
  done
done
for scheme in q4_0 int8; do
  for half in 1 2; do
    row "uniform $scheme, evaluated on half $half" "$work/$scheme.json" "$work/$scheme.hfb" "$half" -
  done
done
echo
echo "## 3. calibrated vs uncalibrated (same size), calibrated on one half of eval.txt, evaluated on the other"
echo "| scheme | tensor bytes | mean KL | p99 KL | top-1 | perplexity |"
echo "| --- | ---: | ---: | ---: | ---: | ---: |"
for spec in "kmeans4" "int4 --block-size 32" "int8"; do
  name=${spec// /}
  "$hfb" convert "$fixture" -o "$work/p-$name.hfb" --quant $spec --json --quiet --force >"$work/p-$name.json"
  for half in 1 2; do
    other=$((3 - half))
    "$hfb" convert "$fixture" -o "$work/c-$name.hfb" --quant $spec --calibrate "$work/text$half.txt" --json --quiet \
      --force >"$work/c-$name.json"
    row "$spec, evaluated on half $other: uncalibrated" "$work/p-$name.json" "$work/p-$name.hfb" "$other"
    row "$spec, evaluated on half $other: calibrated on half $half" "$work/c-$name.json" "$work/c-$name.hfb" "$other"
  done
done
