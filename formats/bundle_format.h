// Constants of the bundle format shared by the writer (writers/) and the reader (readers/bundle/).
#pragma once

#include <cstdint>
#include <string>

namespace hfb {

/// "hfbundle" in Manifest.magic.
inline constexpr const char* kBundleMagic = "hfbundle";
/// Format version written by this build. Readers accept any minor of kBundleFormatMajor.
inline constexpr uint32_t kBundleFormatMajor = 1;
// 1.1: Manifest.text_graph; 1.2: chunk boundaries; 1.3: FILE_TOKENIZER files (the checkpoint's tokenizer);
// 1.4: Manifest.recipe_json and CoverageRecord.rule; 1.5: TextConfig.max_position_embeddings
inline constexpr uint32_t kBundleFormatMinor = 5;
/// Every tensor segment starts at a multiple of this many bytes of its (raw) file.
inline constexpr uint64_t kBundleAlignment = 64;
/// Entry name of the manifest inside a bundle directory or zip.
inline constexpr const char* kBundleManifestName = "manifest.pb";
/// Tokenizer and processor files a bundle carries when the checkpoint has them (FILE_TOKENIZER, format 1.3).
inline constexpr const char* kBundleTokenizerFiles[] = {
    "tokenizer.json",          "tokenizer_config.json",  "chat_template.jinja",
    "special_tokens_map.json", "processor_config.json",  "preprocessor_config.json",
};
/// Suffix of zstd-compressed data files ("chunk_00.bin.zst").
inline constexpr const char* kBundleZstdSuffix = ".zst";

/// Manifest.Chunk.kind (bundle.proto ChunkKind) and its one spelling, used by the writer, the reader, the
/// convert report and the chunk plan's JSON: "decoder", "embedding", "ple", "head", "audio", "vision".
/// "unknown" for a value outside the enum (a newer writer's kind).
std::string bundle_chunk_kind_name(int kind);
/// The ChunkKind value spelled `name`; false for an unknown name.
bool bundle_chunk_kind_from_name(const std::string& name, int* kind);

}  // namespace hfb
