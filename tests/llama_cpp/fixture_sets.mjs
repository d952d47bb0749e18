// The dev fixture sets as the llama.cpp checks see them: which sets exist, their text cases, and whether this
// llama.cpp (release v0.5.0) can run their KV-sharing layout (gguf-gemma4.md section 2.4), computed from config.json.
import fs from "node:fs";
import path from "node:path";

// Every directory of `fixturesDir` with a config.json and a golden.json, sorted by name.
export function listSets(fixturesDir) {
  return fs
    .readdirSync(fixturesDir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .filter((name) => ["config.json", "golden.json"].every((f) => fs.existsSync(path.join(fixturesDir, name, f))))
    .sort();
}

export function readJson(file) {
  return JSON.parse(fs.readFileSync(file, "utf8"));
}

export function textConfig(config) {
  return config.text_config ?? config;
}

export function hasTowers(config) {
  return Boolean(config.vision_config || config.audio_config);
}

// llama.cpp gives shared layer il >= n = L - num_kv_shared_layers the cache of layer n - (sliding ? 2 : 1)
// (llama-model.cpp:2658-2667). Hugging Face uses the last non-shared layer of the same attention type. The model runs
// correctly only when the two agree for every shared layer; when llama.cpp's layer is of the other type, context
// creation aborts (llama-kv-cache.cpp:268), otherwise it would silently read another layer's cache.
// Returns {runnable, reason}.
export function kvSharingVerdict(config) {
  const text = textConfig(config);
  const types = text.layer_types;
  const shared = text.num_kv_shared_layers ?? 0;
  if (!Array.isArray(types) || shared === 0) return { runnable: true, reason: "no KV sharing" };
  const first = types.length - shared;
  const letters = types.map((t) => (t === "sliding_attention" ? "S" : "F")).join("");
  for (let il = first; il < types.length; il++) {
    const sliding = types[il] === "sliding_attention";
    const llamaSource = first - (sliding ? 2 : 1);
    const hfSource = types.slice(0, first).lastIndexOf(types[il]);
    if (llamaSource !== hfSource) {
      const how = llamaSource < 0 || types[llamaSource] !== types[il]
        ? "aborts at context creation (llama-kv-cache.cpp:268)"
        : "reads the wrong layer's cache";
      return {
        runnable: false,
        reason: `layers ${letters.slice(0, first)}|${letters.slice(first)}: llama.cpp maps shared layer ${il} to layer ${llamaSource}, ` +
          `Hugging Face to ${hfSource}; llama.cpp v0.5.0 ${how}`,
      };
    }
  }
  return { runnable: true, reason: `layers ${letters.slice(0, first)}|${letters.slice(first)}` };
}
