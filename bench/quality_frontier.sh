#!/usr/bin/env bash
# The size / quality frontier of text-trained (issue 21): uniform schemes and `--quant auto` at a few KL budgets,
# each converted to a bundle and evaluated teacher-forced on the held-out eval-ids.txt against the float32
# checkpoint. Prints one markdown row per bundle: tensor bytes (convert --json), mean / p99 KL, top-1 agreement,
# perplexity. Usage: bench/quality_frontier.sh [BUILD_DIR] [BUDGET ...]   (defaults: build, 2e-4 5e-4 1e-3)
set -euo pipefail
build=${1:-build}
shift || true
budgets=("$@")
[ ${#budgets[@]} -gt 0 ] || budgets=(2e-4 5e-4 1e-3)
hfb="$build/cli/hfbundle"
fixture=fixtures/gemma4/text-trained
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$hfb" eval "$fixture" --against "$fixture" --ids-file "$fixture/eval-ids.txt" --save-reference "$work/ref.bin" \
  --quiet >/dev/null
row() {  # name, bundle
  local bytes json
  bytes=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["tensor_bytes"])' "$work/$1.json")
  json=$("$hfb" eval "$2" --reference "$work/ref.bin" --json --quiet)
  python3 - "$1" "$bytes" "$json" <<'PY'
import json, sys
name, size, r = sys.argv[1], int(sys.argv[2]), json.loads(sys.argv[3])
print(f"| {name} | {size:,} | {r['kl_divergence_mean']:.3g} | {r['kl_divergence_p99']:.3g} | "
      f"{100 * r['teacher_forced_top1_agreement']:.2f} % | {r['perplexity_ours']:.4f} |")
PY
}
echo "| recipe | tensor bytes | mean KL | p99 KL | top-1 | perplexity |"
echo "| --- | ---: | ---: | ---: | ---: | ---: |"
for scheme in none int4 q4_0 kmeans4 int8 q8_0; do
  "$hfb" convert "$fixture" -o "$work/$scheme.hfb" --quant "$scheme" --json --quiet >"$work/$scheme.json"
  row "$scheme" "$work/$scheme.hfb"
done
for budget in "${budgets[@]}"; do
  "$hfb" convert "$fixture" -o "$work/auto-$budget.hfb" --quant auto --max-kl "$budget" --json --quiet \
    >"$work/auto-$budget.json"
  row "auto --max-kl $budget" "$work/auto-$budget.hfb"
done
