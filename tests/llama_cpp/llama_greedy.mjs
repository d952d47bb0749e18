// Runs the real llama.cpp (node-llama-cpp's prebuilt CPU library, release v0.5.0) greedily on raw prompt ids.
//
// Library use (llama_checks.mjs): openLlama(), runGreedyCases(llama, gguf, cases).
// Command line: node llama_greedy.mjs GGUF GOLDEN.json [--case NAME]... -> JSON on stdout: per text case the
// prompt, llama.cpp's greedy ids and the top-2 (token, logit) pairs of every step, next to the golden's ids.
// Settings are the ones of gguf-gemma4.md section 5/6: CPU, 2 threads, flash attention auto, f32 KV cache,
// one sequence, context = prompt + steps rounded up to 256, batch = prompt length. No tokenizer and no BOS are
// added: the golden's prompt ids go in as they are. Nothing is built or downloaded at run time.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { getLlama, LlamaLogLevel } from "node-llama-cpp";

// The doc's parity settings use 2 threads; HFB_LLAMA_THREADS overrides it (on a machine busier than its cores, ggml's
// spinning thread barrier makes 2 threads ~100x slower than 1; the checks' greedy ids came out the same with 1 and 2 threads).
export const kThreads = Number(process.env.HFB_LLAMA_THREADS || 2);

// Fails (throws) rather than compiling or downloading anything.
export async function openLlama() {
  return openLlamaWithThreads(kThreads);
}

export async function openLlamaWithThreads(threads) {
  return getLlama({
    gpu: false,
    build: "never",
    usePrebuiltBinaries: true,
    skipDownload: true,
    progressLogs: false,
    logLevel: LlamaLogLevel.error,
    maxThreads: threads,
  });
}

export function describeLlama(llama) {
  return {
    buildType: llama.buildType,
    llamaCppRelease: llama.llamaCppRelease?.release,
    systemInfo: llama.systemInfo,
  };
}

// The golden's text cases (no media): {name, prompt, golden (ids), goldenTop1Logits}.
export function textCases(golden, only = []) {
  return golden.cases
    .filter((c) => !c.multimodal && (only.length === 0 || only.includes(c.name)))
    .map((c) => ({
      name: c.name,
      prompt: c.prompt,
      golden: c.greedy,
      goldenTop1Logits: c.steps.map((s) => s.top1_logit),
    }));
}

function nextOptions() {
  return { generateNext: { token: true, logits: { filter: { tokens: [], includeTop: 2 } }, options: { temperature: 0 } } };
}

function topPairs(output) {
  const logits = output?.next?.logits;
  return logits ? [...logits.entries()].slice(0, 2).map(([token, logit]) => [token, logit]) : [];
}

// One case: prefill the prompt, then `steps` greedy steps, feeding llama.cpp's own choices back (free running).
export async function runGreedy(model, prompt, steps) {
  const contextSize = Math.ceil((prompt.length + steps) / 256) * 256;
  const context = await model.createContext({
    contextSize,
    batchSize: prompt.length,
    threads: { ideal: kThreads, min: kThreads },
    flashAttention: "auto",
    experimentalKvCacheKeyType: "F32",
    experimentalKvCacheValueType: "F32",
    sequences: 1,
  });
  try {
    const sequence = context.getSequence();
    const ids = [];
    const top = [];
    const prefillStart = performance.now();
    let input = [...prompt.slice(0, -1), [prompt[prompt.length - 1], nextOptions()]];
    const timings = { prefillMs: 0, decodeMs: 0 };
    for (let step = 0; step < steps; step++) {
      const start = performance.now();
      const outputs = await sequence.controlledEvaluate(input);
      const output = outputs[outputs.length - 1];
      const token = output?.next?.token;
      if (token === undefined || token === null) throw new Error(`no token at step ${step}`);
      ids.push(token);
      top.push(topPairs(output));
      timings[step === 0 ? "prefillMs" : "decodeMs"] += performance.now() - start;
      input = [[token, nextOptions()]];
    }
    timings.totalMs = performance.now() - prefillStart;
    return { ids, top, timings };
  } finally {
    await context.dispose();
  }
}

// Compares free-running ids with the golden: `matched` = steps before the first divergence (later coincidences
// do not count), `maxTop1LogitDelta` over the matched steps.
export function compareIds(run, kase) {
  let matched = 0;
  while (matched < kase.golden.length && run.ids[matched] === kase.golden[matched]) matched++;
  let maxTop1LogitDelta = 0;
  for (let i = 0; i < matched; i++) {
    const mine = run.top[i]?.[0]?.[1];
    if (mine !== undefined) maxTop1LogitDelta = Math.max(maxTop1LogitDelta, Math.abs(mine - kase.goldenTop1Logits[i]));
  }
  return { matched, steps: kase.golden.length, firstDivergence: matched < kase.golden.length ? matched : null, maxTop1LogitDelta };
}

export async function runGreedyCases(llama, ggufPath, cases) {
  const model = await llama.loadModel({ modelPath: ggufPath, gpuLayers: 0 });
  try {
    const results = [];
    for (const kase of cases) {
      const run = await runGreedy(model, kase.prompt, kase.golden.length);
      results.push({ name: kase.name, prompt: kase.prompt, golden: kase.golden, ...run, ...compareIds(run, kase) });
    }
    return results;
  } finally {
    await model.dispose();
  }
}

async function main(argv) {
  const positional = [];
  const only = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--case") only.push(argv[++i]);
    else positional.push(argv[i]);
  }
  if (positional.length !== 2) {
    console.error("usage: node llama_greedy.mjs GGUF GOLDEN.json [--case NAME]...");
    process.exit(2);
  }
  const [gguf, goldenPath] = positional;
  const golden = JSON.parse(fs.readFileSync(goldenPath, "utf8"));
  const llama = await openLlama();
  const cases = await runGreedyCases(llama, path.resolve(gguf), textCases(golden, only));
  console.log(JSON.stringify({ llama: describeLlama(llama), gguf, cases }, null, 1));
  await llama.dispose();
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).catch((e) => {
    console.error(`llama_greedy: ${e.stack || e}`);
    process.exit(3);
  });
}
