// llama.cpp's prefill and decode speed on a GGUF, for bench/llama_cpp_compare.sh (issue #14's side-by-side):
// the same prompt as bench/decode_bench (128 ids, 1000 + (i * 7919) % 200000), one prefill batch, then greedy decode
// steps. llama.cpp's own defaults otherwise (f16 KV cache, flash attention auto), `--threads` as given.
// Usage: node llama_speed.mjs GGUF [--prompt-tokens 128] [--steps 64] [--threads 2] -> one JSON line on stdout:
// {load_s, prompt_tokens, prompt_tokens_per_s, decode_tokens, decode_tokens_per_s}.
import { openLlamaWithThreads } from "./llama_greedy.mjs";

function parseArgs(argv) {
  const options = { promptTokens: 128, steps: 64, threads: 2, gguf: null };
  for (let i = 0; i < argv.length; i++) {
    const value = () => Number(argv[++i]);
    if (argv[i] === "--prompt-tokens") options.promptTokens = value();
    else if (argv[i] === "--steps") options.steps = value();
    else if (argv[i] === "--threads") options.threads = value();
    else options.gguf = argv[i];
  }
  if (!options.gguf) throw new Error("usage: node llama_speed.mjs GGUF [--prompt-tokens N] [--steps N] [--threads N]");
  return options;
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  const prompt = Array.from({ length: options.promptTokens }, (_, i) => 1000 + ((i * 7919) % 200000));
  const llama = await openLlamaWithThreads(options.threads);
  const loadStart = performance.now();
  const model = await llama.loadModel({ modelPath: options.gguf, gpuLayers: 0 });
  const context = await model.createContext({
    contextSize: Math.ceil((prompt.length + options.steps) / 256) * 256,
    batchSize: prompt.length,
    threads: options.threads,
    flashAttention: "auto",
    sequences: 1,
  });
  const loadS = (performance.now() - loadStart) / 1000;
  const sequence = context.getSequence();
  const next = { generateNext: { token: true, options: { temperature: 0 } } };
  let start = performance.now();
  let outputs = await sequence.controlledEvaluate([...prompt.slice(0, -1), [prompt[prompt.length - 1], next]]);
  const prefillS = (performance.now() - start) / 1000;
  let token = outputs[outputs.length - 1].next.token;
  start = performance.now();
  for (let step = 0; step < options.steps; step++) {
    outputs = await sequence.controlledEvaluate([[token, next]]);
    token = outputs[0].next.token;
  }
  const decodeS = (performance.now() - start) / 1000;
  console.log(JSON.stringify({
    load_s: loadS,
    prompt_tokens: prompt.length,
    prompt_tokens_per_s: prompt.length / prefillS,
    decode_tokens: options.steps,
    decode_tokens_per_s: options.steps / decodeS,
  }));
}

main().then(() => process.exit(0), (e) => {
  console.error(`llama_speed: ${e.stack || e}`);
  process.exit(3);
});
