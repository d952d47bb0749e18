// hfbundle's GGUF files checked by the real llama.cpp (node-llama-cpp 3.22.1's prebuilt CPU library, release
// v0.5.0), run by scripts/llama-reference.sh. Prints one table row per check and a final PASS/FAIL; exit 1 on any
// failure, 2 on bad usage, 3 when llama.cpp cannot be loaded.
//
// Reference checks (llama.cpp's own files in fixtures/gemma4/gguf; they prove the harness):
//   - greedy ids of every `<set>-f32.gguf` on the set's text cases == golden;
//   - llama_quantize(`<set>-f32.gguf`, q4_0|q8_0, pure) == `<set>-<q>-pure.gguf`, tensor by tensor.
// Export checks (hfbundle convert --format gguf, every dev set; export_checks.mjs), unless --reference-only.
//
// Usage: node llama_checks.mjs --hfbundle BIN --fixtures fixtures/gemma4 --tools DIR --work DIR [--reference-only]
//        [--sets a,b,...]
import fs from "node:fs";
import path from "node:path";

import { CheckTable } from "./check_table.mjs";
import { checkGreedy, describeTensorDifferences, llamaQuantize } from "./check_steps.mjs";
import { runExportChecks } from "./export_checks.mjs";
import { listSets } from "./fixture_sets.mjs";
import { compareTensors, dumpGguf } from "./gguf_compare.mjs";
import { describeLlama, kThreads, openLlama } from "./llama_greedy.mjs";

function parseArgs(argv) {
  const options = { referenceOnly: false, sets: null };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--reference-only") options.referenceOnly = true;
    else if (["--hfbundle", "--fixtures", "--tools", "--work", "--sets"].includes(arg) && i + 1 < argv.length) {
      options[arg.slice(2)] = argv[++i];
    } else throw new Error(`unknown or incomplete argument '${arg}'`);
  }
  for (const required of ["fixtures", "tools", "work"]) if (!options[required]) throw new Error(`--${required} is required`);
  if (!options.referenceOnly && !options.hfbundle) throw new Error("--hfbundle is required (or --reference-only)");
  options.sets = options.sets ? options.sets.split(",") : null;
  return options;
}

async function runReferenceChecks(ctx) {
  const ggufDir = path.join(ctx.fixtures, "gguf");
  const files = fs.readdirSync(ggufDir).sort();
  const sets = new Set(listSets(ctx.fixtures));
  for (const file of files) {
    const m = /^(.+)-f32\.gguf$/.exec(file);
    if (!m || m[1].endsWith("-mmproj") || !sets.has(m[1])) continue;
    await ctx.table.guard(m[1], `llama.cpp's ${file}`, () => checkGreedy(ctx, m[1], `llama.cpp's ${file}`, path.join(ggufDir, file), true));
  }
  // llama.cpp's other conversions of a set (bf16, the converter's own q8_0): agreement reported, never judged.
  for (const file of files) {
    const m = /^(.+)-(bf16|f16|q8_0|q4_0)\.gguf$/.exec(file);
    if (!m || !sets.has(m[1])) continue;
    await ctx.table.guard(m[1], `llama.cpp's ${file}`, () => checkGreedy(ctx, m[1], `llama.cpp's ${file}`, path.join(ggufDir, file), false));
  }
  for (const file of files) {
    const m = /^(.+)-(q4_0|q8_0)-pure\.gguf$/.exec(file);
    if (!m) continue;
    const check = `llama_quantize ${m[2]} pure = ${file}`;
    await ctx.table.guard(m[1], check, () => {
      const out = path.join(ctx.work, `reference-${m[1]}-${m[2]}-pure.gguf`);
      llamaQuantize(ctx, path.join(ggufDir, `${m[1]}-f32.gguf`), out, m[2]);
      const d = compareTensors(dumpGguf(ctx.tools, out), dumpGguf(ctx.tools, path.join(ggufDir, file)));
      const total = d.identical.length;
      const problems = describeTensorDifferences(d);
      ctx.table.verdict(!problems && total > 0, m[1], check, problems || `${total} tensors byte-identical (types, shapes, bytes)`);
    });
  }
}

async function main() {
  let options;
  try {
    options = parseArgs(process.argv.slice(2));
  } catch (e) {
    console.error(`llama_checks: ${e.message}`);
    return 2;
  }
  fs.mkdirSync(options.work, { recursive: true });
  let llama;
  try {
    llama = await openLlama();
  } catch (e) {
    console.error(`llama_checks: cannot load the prebuilt llama.cpp: ${e.message}`);
    return 3;
  }
  const table = new CheckTable();
  const info = describeLlama(llama);
  table.info("-", "llama.cpp", `${info.buildType} ${info.llamaCppRelease}, ${kThreads} threads, f32 KV, FA auto; ${info.systemInfo.trim()}`);
  const ctx = { ...options, llama, table };
  await runReferenceChecks(ctx);
  if (!options.referenceOnly) await runExportChecks(ctx);
  return table.summary() ? 0 : 1;
}

// process.exit: llama.cpp's thread pool otherwise keeps node alive for seconds after the last check.
main().then((code) => process.exit(code), (e) => {
  console.error(`llama_checks: ${e.stack || e}`);
  process.exit(3);
});
