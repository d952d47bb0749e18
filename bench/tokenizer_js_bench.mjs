// JS side of bench/tokenizer: encodes TEXT with @huggingface/tokenizers (the JS port of HF tokenizers) and
// prints "js_encode_mb_per_s <wall> <cpu>" (best of N passes). Run from a directory whose node_modules has the
// package (scripts/js-reference.sh installs it into build/npm). Usage: node tokenizer_js_bench.mjs TOKENIZER_DIR TEXT
import { Tokenizer } from "@huggingface/tokenizers";
import { readFileSync } from "node:fs";
import { join } from "node:path";

const [dir, textPath, passesArg] = process.argv.slice(2);
const tokenizer = new Tokenizer(JSON.parse(readFileSync(join(dir, "tokenizer.json"), "utf8")),
                                JSON.parse(readFileSync(join(dir, "tokenizer_config.json"), "utf8")));
const bytes = readFileSync(textPath);
const text = new TextDecoder().decode(bytes);
let bestWall = Infinity;
let bestCpu = Infinity;
for (let pass = 0; pass < Number(passesArg ?? 3); ++pass) {
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  tokenizer.encode(text);
  bestWall = Math.min(bestWall, Number(process.hrtime.bigint() - t0) / 1e9);
  const cpu = process.cpuUsage(cpu0);
  bestCpu = Math.min(bestCpu, (cpu.user + cpu.system) / 1e6);
}
console.log(`js_encode_mb_per_s ${(bytes.length / 1e6 / bestWall).toFixed(3)} ${(bytes.length / 1e6 / bestCpu).toFixed(3)}`);
