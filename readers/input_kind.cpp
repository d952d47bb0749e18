// describe_foreign_file / check_checkpoint_input: name the wrong input by its magic bytes and say what to do.
#include "readers/input_kind.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "readers/safetensors.h"

namespace hfb {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kGgufMessage =
    "this is a GGUF file (llama.cpp's format), not a Hugging Face checkpoint: give the .gguf file itself as MODEL "
    "(with --mmproj FILE for its projector) to import it, or the original safetensors download (a folder with "
    "config.json and *.safetensors, e.g. `huggingface-cli download google/gemma-4-E2B-it`)";
constexpr std::string_view kPickleMessage =
    "this is a PyTorch pickle checkpoint (pytorch_model.bin / .pt): pickle checkpoints are not read (loading one "
    "can run code); convert it to safetensors with transformers: "
    "`AutoModelForCausalLM.from_pretrained(DIR).save_pretrained(OUT, safe_serialization=True)`, or download the "
    "repo's *.safetensors files";
constexpr std::string_view kLfsMessage =
    "this is a Git LFS pointer file, not the weights: the download did not fetch the file; run `git lfs install && "
    "git lfs pull` in the clone (or use `huggingface-cli download`)";
constexpr std::string_view kHtmlMessage =
    "this is an HTML page, not model data: the download saved a web page (a gated model needs its licence "
    "accepted and `huggingface-cli login`); download the file again";
constexpr std::string_view kEmptyMessage = "this file is empty (0 bytes): the download was interrupted; download it again";

bool starts_with(const uint8_t* head, size_t size, std::string_view prefix) {
  return size >= prefix.size() && std::memcmp(head, prefix.data(), prefix.size()) == 0;
}

/// A zip whose first entry is a PyTorch archive's data.pkl ("archive/data.pkl", "<name>/data.pkl").
bool is_torch_zip(const uint8_t* head, size_t size) {
  if (!starts_with(head, size, std::string_view("PK\x03\x04", 4)) || size < 30) return false;
  const size_t name_length = head[26] | (static_cast<size_t>(head[27]) << 8);
  const size_t available = std::min(name_length, size - 30);
  const std::string_view name(reinterpret_cast<const char*>(head + 30), available);
  return name.size() >= 8 && name.substr(name.size() - 8) == "data.pkl";
}

/// torch.save's legacy (pre-1.6) format: a protocol-2 pickle whose first object is torch's magic number, a
/// 10-byte LONG1 (0x80 0x02 0x8a 0x0a). Read as a safetensors length that is 177 MB: over the header limit anyway.
bool is_legacy_torch_pickle(const uint8_t* head, size_t size) {
  return size >= 4 && head[0] == 0x80 && head[1] == 0x02 && head[2] == 0x8a && head[3] == 0x0a;
}

bool is_html(const uint8_t* head, size_t size) {
  size_t i = 0;
  while (i < size && (head[i] == ' ' || head[i] == '\n' || head[i] == '\r' || head[i] == '\t')) ++i;
  std::string lower;
  for (size_t j = i; j < size && lower.size() < 14; ++j) lower += static_cast<char>(std::tolower(head[j]));
  return lower.rfind("<!doctype html", 0) == 0 || lower.rfind("<html", 0) == 0;
}

bool has_suffix(const std::string& name, std::string_view suffix) {
  return name.size() >= suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
}

/// The first GGUF or pickle-checkpoint file in a directory without config.json, with its message.
std::pair<std::string, std::string_view> foreign_file_in(const fs::path& dir) {
  std::error_code ec;
  std::vector<std::string> names;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    names.push_back(it->path().filename().string());
  }
  std::sort(names.begin(), names.end());
  for (const std::string& name : names) {
    if (has_suffix(name, ".gguf")) return {name, kGgufMessage};
  }
  for (const std::string& name : names) {
    if ((name.rfind("pytorch_model", 0) == 0 && has_suffix(name, ".bin")) || has_suffix(name, ".pt") ||
        has_suffix(name, ".pth")) {
      return {name, kPickleMessage};
    }
  }
  return {"", ""};
}

}  // namespace

std::string describe_foreign_file(const uint8_t* head, size_t size) {
  if (size == 0) return std::string(kEmptyMessage);
  if (starts_with(head, size, "GGUF")) return std::string(kGgufMessage);
  if (is_torch_zip(head, size) || is_legacy_torch_pickle(head, size)) return std::string(kPickleMessage);
  if (starts_with(head, size, "version https://git-lfs.github.com/spec/")) return std::string(kLfsMessage);
  if (is_html(head, size)) return std::string(kHtmlMessage);
  return "";
}

std::string describe_foreign_path(const std::string& path) {
  FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) return "";
  uint8_t head[512];
  const size_t n = std::fread(head, 1, sizeof(head), file);
  std::fclose(file);
  return describe_foreign_file(head, n);
}

Status check_checkpoint_input(const std::string& path) {
  std::error_code ec;
  const fs::file_status status = fs::status(path, ec);
  if (ec) return ok_status();  // the loader names what is missing
  if (fs::is_regular_file(status)) {
    const std::string what = describe_foreign_path(path);
    if (what.empty()) return ok_status();
    const bool broken_download = what.find("GGUF") == std::string::npos && what.find("pickle") == std::string::npos;
    return Error(broken_download ? ErrorCode::kInvalidFile : ErrorCode::kUnsupported, what).with_path(path);
  }
  if (!fs::is_directory(status)) return ok_status();
  const fs::path dir(path);
  const bool has_config = fs::exists(dir / "config.json", ec);
  if (has_config && (fs::exists(dir / kSafetensorsIndexName, ec) || fs::exists(dir / kSafetensorsSingleName, ec))) {
    return ok_status();
  }
  const auto [name, message] = foreign_file_in(dir);
  if (name.empty()) return ok_status();
  return Error(ErrorCode::kUnsupported, std::string(has_config ? "no *.safetensors here; " : "no config.json here; ") +
                                            std::string(message))
      .with_path((dir / name).string());
}

}  // namespace hfb
