// Compares GGUF files as llama.cpp's own parser sees them: the tables come from gguf_dump (ggml's gguf_* API),
// the tensor bytes are read at the absolute offsets that parser reports and compared exactly.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

// Throws with gguf_dump's message when ggml rejects the file.
export function dumpGguf(toolsDir, file) {
  let out;
  try {
    out = execFileSync(path.join(toolsDir, "gguf_dump"), [file], { encoding: "utf8", maxBuffer: 1 << 28, stdio: ["ignore", "pipe", "pipe"] });
  } catch (e) {
    throw new Error(`gguf_dump ${file}: ${String(e.stderr || e.message).trim()}`);
  }
  const dump = JSON.parse(out);
  dump.file = file;
  dump.byName = new Map(dump.tensors.map((t) => [t.name, t]));
  dump.keyByName = new Map(dump.keys.map((k) => [k.name, k]));
  return dump;
}

export function tensorBytes(dump, tensor) {
  const fd = fs.openSync(dump.file, "r");
  try {
    const buffer = Buffer.alloc(tensor.size);
    const got = fs.readSync(fd, buffer, 0, tensor.size, tensor.file_offset);
    if (got !== tensor.size) throw new Error(`${dump.file}: tensor '${tensor.name}' short read (${got} of ${tensor.size} bytes)`);
    return buffer;
  } finally {
    fs.closeSync(fd);
  }
}

const sameShape = (a, b) => a.ne.length === b.ne.length && a.ne.every((v, i) => v === b.ne[i]);

// Tensor-by-tensor comparison by name (order in the file is free for llama.cpp). Returns lists of names.
export function compareTensors(ours, theirs) {
  const result = { identical: [], onlyOurs: [], onlyTheirs: [], typeDiffers: [], shapeDiffers: [], bytesDiffer: [] };
  for (const t of theirs.tensors) {
    const o = ours.byName.get(t.name);
    if (!o) result.onlyTheirs.push(t.name);
    else if (o.type !== t.type) result.typeDiffers.push(`${t.name} (${o.type} vs ${t.type})`);
    else if (!sameShape(o, t)) result.shapeDiffers.push(`${t.name} ([${o.ne}] vs [${t.ne}])`);
    else if (!tensorBytes(ours, o).equals(tensorBytes(theirs, t))) result.bytesDiffer.push(t.name);
    else result.identical.push(t.name);
  }
  for (const o of ours.tensors) if (!theirs.byName.has(o.name)) result.onlyOurs.push(o.name);
  return result;
}

// The quantized-export rule of issue #19 for one block type (ggml_type_name spelling: `q4_0` / `q8_0`): every
// tensor both files store as `type` has identical bytes, and every tensor llama.cpp's pure quantization stores as
// `type` is `type` in ours too, except the names in `exempt` (token tables our GGUF default policy keeps at q8_0).
export function compareQuantized(ours, reference, type, exempt = []) {
  const result = { both: 0, identical: 0, bytesDiffer: [], notQuantizedInOurs: [], exempted: [], missing: [] };
  for (const t of reference.tensors) {
    if (t.type !== type) continue;
    const o = ours.byName.get(t.name);
    if (!o) result.missing.push(t.name);
    else if (o.type !== type) (exempt.includes(t.name) ? result.exempted : result.notQuantizedInOurs).push(`${t.name} (${o.type})`);
    else {
      result.both++;
      if (sameShape(o, t) && tensorBytes(ours, o).equals(tensorBytes(reference, t))) result.identical++;
      else result.bytesDiffer.push(t.name);
    }
  }
  return result;
}

const sameValue = (a, b) => JSON.stringify(a) === JSON.stringify(b);
const typeName = (k) => (k.elem_type ? `arr[${k.elem_type}]` : k.type);

// Key-by-key comparison: names, GGUF types (element types for arrays) and values.
export function compareKeys(ours, theirs) {
  const result = { same: [], onlyOurs: [], onlyTheirs: [], typeDiffers: [], valueDiffers: [] };
  for (const k of theirs.keys) {
    const o = ours.keyByName.get(k.name);
    if (!o) result.onlyTheirs.push(k.name);
    else if (o.type !== k.type || o.elem_type !== k.elem_type) {
      result.typeDiffers.push(`${k.name} (${typeName(o)} vs ${typeName(k)})`);
    } else if (!sameValue(o.value, k.value)) {
      result.valueDiffers.push(`${k.name} (${JSON.stringify(o.value).slice(0, 60)} vs ${JSON.stringify(k.value).slice(0, 60)})`);
    }
    else result.same.push(k.name);
  }
  for (const o of ours.keys) if (!theirs.keyByName.has(o.name)) result.onlyOurs.push(o.name);
  return result;
}

// Drops the differences a documented-differences table allows: entries {kind, pattern (RegExp on the name), why}.
// Returns {unexplained: [...], explained: [{item, why}]}.
export function applyAllowances(differences, allowances) {
  const unexplained = [];
  const explained = [];
  for (const [kind, items] of Object.entries(differences)) {
    if (kind === "same" || kind === "identical") continue;
    for (const item of items) {
      const name = item.split(" ")[0];
      const rule = allowances.find((a) => a.kind === kind && a.pattern.test(name));
      if (rule) explained.push({ kind, item, why: rule.why });
      else unexplained.push(`${kind}: ${item}`);
    }
  }
  return { unexplained, explained };
}
