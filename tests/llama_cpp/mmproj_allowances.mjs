// The documented differences between hfbundle's GGUF export and llama.cpp's converter output (docs/gguf.md,
// "Checked against llama.cpp"). Each entry: kind of difference (as gguf_compare.mjs names them), a pattern on the
// key or tensor name, and why. Anything not listed here fails the comparison.
// general.* provenance (docs/gguf.md "Metadata"): hfbundle writes quantized_by, quantization_recipe, source.* and
// its own name; the converter writes size_label (hfbundle does not) and names the model its own way.
const kProvenance =
  /^general\.(name|size_label|source\..*|version|quantized_by|quantization_recipe|quantization_version|basename|finetune|description)$/;

export const kModelKeyAllowances = [
  { kind: "onlyOurs", pattern: kProvenance, why: "provenance: hfbundle records its own general.* keys" },
  { kind: "onlyTheirs", pattern: kProvenance, why: "provenance: the converter's name/size label are not required by the loader" },
  { kind: "valueDiffers", pattern: kProvenance, why: "provenance" },
];

export const kMmprojAllowances = [...kModelKeyAllowances];
