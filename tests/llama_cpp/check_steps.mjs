// Steps the llama.cpp checks share: a greedy run judged against a golden, the llama_quantize tool, and a short
// description of tensor differences for the table.
import { execFileSync } from "node:child_process";
import path from "node:path";

import { readJson } from "./fixture_sets.mjs";
import { runGreedyCases, textCases } from "./llama_greedy.mjs";

// Greedy ids of `gguf` on the set's text cases against its golden. `mustMatch`: FAIL unless every step matches;
// otherwise the agreement is reported (INFO). Returns the per-case runs.
export async function checkGreedy(ctx, set, check, gguf, mustMatch) {
  const golden = readJson(path.join(ctx.fixtures, set, "golden.json"));
  const cases = textCases(golden);
  const media = golden.cases.length - cases.length;
  const runs = await runGreedyCases(ctx.llama, gguf, cases);
  const matched = runs.reduce((sum, r) => sum + r.matched, 0);
  const steps = runs.reduce((sum, r) => sum + r.steps, 0);
  const delta = Math.max(0, ...runs.map((r) => r.maxTop1LogitDelta));
  const diverged = runs.filter((r) => r.firstDivergence !== null).map((r) => `${r.name}@${r.firstDivergence}`);
  const detail = `${matched}/${steps} greedy ids = golden over ${cases.length} text cases` +
    (media ? ` (${media} media cases not run)` : "") + `, max |d top-1 logit| ${delta.toExponential(1)}` +
    (diverged.length ? `, diverges: ${diverged.join(" ")}` : "");
  if (mustMatch) ctx.table.verdict(matched === steps && steps > 0, set, check, detail);
  else ctx.table.info(set, check, detail);
  return runs;
}

// Runs the compiled llama_quantize tool (llama_model_quantize with pure = true).
export function llamaQuantize(ctx, input, output, scheme) {
  try {
    execFileSync(path.join(ctx.tools, "llama_quantize"), [input, output, scheme], { stdio: ["ignore", "ignore", "pipe"] });
  } catch (e) {
    throw new Error(`llama_quantize ${input} ${scheme}: ${String(e.stderr || e.message).trim()}`);
  }
}

export function describeTensorDifferences(d) {
  const parts = [];
  for (const kind of ["onlyOurs", "onlyTheirs", "typeDiffers", "shapeDiffers", "bytesDiffer"]) {
    if (d[kind].length) parts.push(`${kind} ${d[kind].length}: ${d[kind].slice(0, 3).join(", ")}${d[kind].length > 3 ? ", ..." : ""}`);
  }
  return parts.join("; ");
}
