// Issue #19's acceptance checks on hfbundle's own GGUF export (`hfbundle convert SET --format gguf`), for every dev
// set with a golden:
//   - f32: llama.cpp's greedy ids == golden on every text case; tensors == llama.cpp's converter output where the
//     fixtures hold one (gguf/<set>-f32.gguf); the mmproj == gguf/<set>-mmproj-f32.gguf apart from documented
//     differences (mmproj_allowances.mjs);
//   - bf16: the agreement with the golden is reported;
//   - q8_0 / q4_0: every tensor both files store in the block type is byte-identical to llama_model_quantize(pure) of
//     our f32 export, and every tensor llama.cpp stores in it is stored in it by us too (q4_0: except the token
//     tables our GGUF default policy keeps at q8_0);
//   - q4_0: llama.cpp's greedy ids on our GGUF vs hfbundle's runtime on the q4_0 bundle: agreement reported.
// Sets whose KV-sharing layout llama.cpp v0.5.0 cannot run are skipped for the greedy checks (with the reason), and
// the export must warn about them.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

import { checkGreedy, describeTensorDifferences, llamaQuantize } from "./check_steps.mjs";
import { hasTowers, kvSharingVerdict, listSets, readJson } from "./fixture_sets.mjs";
import { applyAllowances, compareKeys, compareQuantized, compareTensors, dumpGguf } from "./gguf_compare.mjs";
import { kMmprojAllowances, kModelKeyAllowances } from "./mmproj_allowances.mjs";

const kTokenTables = ["token_embd.weight", "per_layer_token_embd.weight"];

function hfbundle(ctx, args) {
  const r = spawnSync(ctx.hfbundle, args, { encoding: "utf8", maxBuffer: 1 << 28 });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

// `hfbundle convert DIR --format gguf --quant SCHEME -o OUT [--mmproj-out M]`; throws with hfbundle's message.
function convertGguf(ctx, set, scheme, mmprojOut) {
  const out = path.join(ctx.work, set, `${set}-${scheme}.gguf`);
  const args = ["convert", path.join(ctx.fixtures, set), "--format", "gguf", "--quant", scheme, "-o", out, "--force"];
  if (mmprojOut) args.push("--mmproj-out", mmprojOut);
  const r = hfbundle(ctx, args);
  if (r.status !== 0) throw new Error(`hfbundle ${args.join(" ")} exited ${r.status}: ${r.stderr.trim()}`);
  return { file: out, stderr: r.stderr };
}

function checkWarning(ctx, set, verdict, stderr) {
  const warned = /warn/i.test(stderr) && /llama\.cpp/i.test(stderr);
  ctx.table.verdict(warned, set, "export warns: llama.cpp cannot run", warned
    ? stderr.split("\n").find((l) => /llama\.cpp/i.test(l)).trim().slice(0, 160)
    : `no warning on stderr for ${verdict.reason}`);
}

function checkAgainstConverter(ctx, set, ours) {
  const reference = path.join(ctx.fixtures, "gguf", `${set}-f32.gguf`);
  if (!fs.existsSync(reference)) return;
  const oursDump = dumpGguf(ctx.tools, ours);
  const theirs = dumpGguf(ctx.tools, reference);
  const d = compareTensors(oursDump, theirs);
  const problems = describeTensorDifferences(d);
  ctx.table.verdict(!problems, set, "f32 tensors = llama.cpp converter", problems || `${d.identical.length} tensors byte-identical`);
  const keys = applyAllowances(compareKeys(oursDump, theirs), kModelKeyAllowances);
  // Reported, not judged: the reference files carry the converter's synthetic vocabulary (no tokenizer in the
  // fixtures then), ours the set's tokenizer.json; the greedy checks judge whether the keys work.
  const detail = keys.unexplained.length
    ? `${keys.unexplained.length} differences: ${keys.unexplained.slice(0, 4).join("; ")}`
    : `${theirs.keys.length} keys same (${keys.explained.length} documented differences)`;
  ctx.table.info(set, "f32 keys vs llama.cpp converter", detail);
}

function checkMmproj(ctx, set, ours) {
  const reference = path.join(ctx.fixtures, "gguf", `${set}-mmproj-f32.gguf`);
  const oursDump = dumpGguf(ctx.tools, ours);
  const theirs = dumpGguf(ctx.tools, reference);
  const tensors = applyAllowances(compareTensors(oursDump, theirs), kMmprojAllowances);
  const keys = applyAllowances(compareKeys(oursDump, theirs), kMmprojAllowances);
  const unexplained = [...keys.unexplained, ...tensors.unexplained];
  const explained = keys.explained.length + tensors.explained.length;
  ctx.table.verdict(unexplained.length === 0, set, "mmproj = llama.cpp's", unexplained.length
    ? `${unexplained.length} undocumented differences: ${unexplained.slice(0, 4).join("; ")}`
    : `${theirs.keys.length} keys, ${theirs.tensors.length} tensors: names, types, shapes, bytes same apart from ${explained} ` +
      `documented differences (${[...keys.explained, ...tensors.explained].map((e) => e.item.split(" ")[0]).join(", ")})`);
}

function checkQuantized(ctx, set, scheme, f32File) {
  const ours = convertGguf(ctx, set, scheme).file;
  const reference = path.join(ctx.work, set, `${set}-${scheme}-llama-pure.gguf`);
  llamaQuantize(ctx, f32File, reference, scheme);
  const type = scheme;  // ggml_type_name spelling: "q4_0", "q8_0"
  const exempt = scheme === "q4_0" ? kTokenTables : [];
  const d = compareQuantized(dumpGguf(ctx.tools, ours), dumpGguf(ctx.tools, reference), type, exempt);
  const problems = [];
  if (d.bytesDiffer.length) problems.push(`bytes differ: ${d.bytesDiffer.slice(0, 3).join(", ")}`);
  if (d.notQuantizedInOurs.length) problems.push(`not ${type} in ours: ${d.notQuantizedInOurs.slice(0, 3).join(", ")}`);
  if (d.missing.length) problems.push(`missing in ours: ${d.missing.slice(0, 3).join(", ")}`);
  const exempted = d.exempted.length ? `; ${d.exempted.length} token tables q8_0 by policy` : "";
  const none = d.both === 0 && !d.exempted.length ? ` (llama.cpp stores no tensor of this set as ${type}: rows not multiples of 32)` : "";
  const detail = problems.length
    ? problems.join("; ")
    : `${d.identical}/${d.both} ${type} tensors byte-identical to llama_model_quantize(pure)${exempted}${none}`;
  ctx.table.verdict(problems.length === 0, set, `${scheme} = llama_quantize pure`, detail);
  return ours;
}

// hfbundle's greedy ids on its own q4_0 bundle, per case (`hfbundle run BUNDLE --prompt-ids ... --json`).
function runtimeIds(ctx, set, runs) {
  const bundle = path.join(ctx.work, set, `${set}-q4_0.bundle`);
  const c = hfbundle(ctx, ["convert", path.join(ctx.fixtures, set), "--quant", "q4_0", "-o", bundle, "--force", "--quiet"]);
  if (c.status !== 0) throw new Error(`hfbundle convert --quant q4_0 exited ${c.status}: ${c.stderr.trim()}`);
  return runs.map((r) => {
    const args = ["run", bundle, "--prompt-ids", r.prompt.join(","), "-n", String(r.steps), "--json", "--quiet"];
    const out = hfbundle(ctx, args);
    if (out.status !== 0) throw new Error(`hfbundle run exited ${out.status}: ${out.stderr.trim()}`);
    return JSON.parse(out.stdout).generated;
  });
}

async function checkRuntimeAgreement(ctx, set, q4File) {
  const runs = await checkGreedy(ctx, set, "q4_0 greedy vs golden", q4File, false);
  const ours = runtimeIds(ctx, set, runs);
  let agree = 0;
  let total = 0;
  const diverged = [];
  runs.forEach((r, i) => {
    const n = Math.min(r.ids.length, ours[i].length);
    let k = 0;
    while (k < n && r.ids[k] === ours[i][k]) k++;
    agree += k;
    total += n;
    if (k < n) diverged.push(`${r.name}@${k}`);
  });
  const detail = `${agree}/${total} greedy ids agree` + (diverged.length ? `, diverge: ${diverged.join(" ")}` : "");
  ctx.table.info(set, "q4_0: llama.cpp vs hfbundle runtime", detail);
}

async function checkSet(ctx, set) {
  const config = readJson(path.join(ctx.fixtures, set, "config.json"));
  const verdict = kvSharingVerdict(config);
  fs.mkdirSync(path.join(ctx.work, set), { recursive: true });
  const mmprojReference = path.join(ctx.fixtures, "gguf", `${set}-mmproj-f32.gguf`);
  const mmproj = hasTowers(config) && fs.existsSync(mmprojReference) ? path.join(ctx.work, set, `${set}-mmproj-f32.gguf`) : null;
  const f32 = convertGguf(ctx, set, "f32", mmproj);
  if (!verdict.runnable) {
    checkWarning(ctx, set, verdict, f32.stderr);
    ctx.table.skip(set, "greedy (f32, bf16, q4_0)", verdict.reason);
  }
  if (verdict.runnable) {
    await ctx.table.guard(set, "f32 greedy = golden", () => checkGreedy(ctx, set, "f32 greedy = golden", f32.file, true));
  }
  await ctx.table.guard(set, "f32 = llama.cpp converter", () => checkAgainstConverter(ctx, set, f32.file));
  if (mmproj) await ctx.table.guard(set, "mmproj = llama.cpp's", () => checkMmproj(ctx, set, mmproj));
  if (verdict.runnable) {
    const check = "bf16 greedy vs golden";
    await ctx.table.guard(set, check, () => checkGreedy(ctx, set, check, convertGguf(ctx, set, "bf16").file, false));
  }
  await ctx.table.guard(set, "q8_0 = llama_quantize pure", () => checkQuantized(ctx, set, "q8_0", f32.file));
  let q4 = null;
  await ctx.table.guard(set, "q4_0 = llama_quantize pure", () => { q4 = checkQuantized(ctx, set, "q4_0", f32.file); });
  if (verdict.runnable && q4) await ctx.table.guard(set, "q4_0: llama.cpp vs hfbundle runtime", () => checkRuntimeAgreement(ctx, set, q4));
}

export async function runExportChecks(ctx) {
  const help = hfbundle(ctx, ["convert", "--help"]);
  if (!/--format/.test(help.stdout + help.stderr)) {
    ctx.table.skip("-", "export checks", `${ctx.hfbundle} has no \`convert --format gguf\` (the GGUF export is not in this build)`);
    return;
  }
  const sets = listSets(ctx.fixtures).filter((s) => !ctx.sets || ctx.sets.includes(s));
  for (const set of sets) await ctx.table.guard(set, "export", () => checkSet(ctx, set));
}
