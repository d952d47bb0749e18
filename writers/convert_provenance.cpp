// Provenance: input hashes (hub blob sha256 or XXH3), carried model card / licence files, manifest Source fields.
#include "writers/convert_provenance.h"

#include <xxhash.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <set>
#include <system_error>

#include "core/byte_source.h"
#include "core/version.h"
#include "formats/bundle.pb.h"
#include "writers/bundle_writer.h"

namespace hfb {
namespace {

namespace fs = std::filesystem;

constexpr uint64_t kFullHashLimit = 256ull << 20;
constexpr uint64_t kHashBlock = 16ull << 20;

std::string hex64(uint64_t v) {
  char buf[20];
  std::snprintf(buf, sizeof(buf), "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

/// The sha256 a hub cache names a blob by, if `path` is a symlink into a blobs/ folder with a 64-hex name.
std::string hub_blob_sha256(const fs::path& path) {
  std::error_code ec;
  if (!fs::is_symlink(path, ec)) return "";
  const fs::path target = fs::canonical(path, ec);
  if (ec || target.parent_path().filename() != "blobs") return "";
  const std::string name = target.filename().string();
  const bool hex = name.size() == 64 && std::all_of(name.begin(), name.end(), [](char c) {
                     return std::isdigit(static_cast<unsigned char>(c)) || (c >= 'a' && c <= 'f');
                   });
  return hex ? name : "";
}

Result<ProvenanceInput> hash_input(const fs::path& dir, const std::string& name) {
  ProvenanceInput input;
  input.name = name;
  const fs::path path = dir / name;
  HFB_TRY(std::shared_ptr<MmapFile> file, MmapFile::open(path.string()));
  input.size = file->size();
  const std::string sha = hub_blob_sha256(path);
  if (!sha.empty()) {
    input.hash = "sha256:" + sha;
    return input;
  }
  const uint64_t hashed = std::min(input.size, kFullHashLimit);
  XXH3_state_t* state = XXH3_createState();
  XXH3_64bits_reset(state);
  for (uint64_t at = 0; at < hashed; at += kHashBlock) {
    const uint64_t n = std::min(kHashBlock, hashed - at);
    auto span = file->read(at, n);
    if (!span.ok()) {
      XXH3_freeState(state);
      return std::move(span).error();
    }
    XXH3_64bits_update(state, span->data, span->size);
    file->release(at, n);
  }
  input.hash = std::string(hashed == input.size ? "xxh3-64:" : "xxh3-64-first-256MiB:") +
               hex64(XXH3_64bits_digest(state));
  XXH3_freeState(state);
  return input;
}

bool carried_name(const std::string& name) {
  const bool plain = !name.empty() && name[0] != '.' && std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
  });
  if (!plain) return false;  // a bundle entry name must be plain (writers/bundle_writer_data.cpp)
  std::string lower;
  for (char c : name) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return lower == "readme.md" || lower.rfind("license", 0) == 0 || lower.rfind("licence", 0) == 0 ||
         lower.rfind("notice", 0) == 0 || lower.rfind("use_policy", 0) == 0 || lower.find("terms") != std::string::npos;
}

}  // namespace

Result<std::vector<ProvenanceInput>> provenance_inputs(const Model& model, const std::string& dir) {
  std::set<std::string> names;
  std::error_code ec;
  for (const char* fixed : {"config.json", "generation_config.json", "model.safetensors.index.json"}) {
    if (fs::exists(fs::path(dir) / fixed, ec)) names.insert(fixed);
  }
  for (const TensorInfo& t : model.tensors.tensors()) {
    if (t.source) names.insert(fs::path(t.source->path()).filename().string());
  }
  std::vector<ProvenanceInput> inputs;
  for (const std::string& name : names) {
    HFB_TRY(ProvenanceInput input, hash_input(dir, name));
    inputs.push_back(std::move(input));
  }
  return inputs;
}

std::vector<std::string> carried_files(const std::string& dir) {
  std::vector<std::string> names;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (carried_name(name) && fs::is_regular_file(it->path(), ec)) names.push_back(name);
  }
  std::sort(names.begin(), names.end());
  return names;
}

Status record_provenance(const Model& model, const std::string& dir, const std::string& command_line,
                         BundleWriter* writer) {
  HFB_TRY(std::vector<ProvenanceInput> inputs, provenance_inputs(model, dir));
  bundle::Source* source = writer->manifest().mutable_source();
  source->set_repo_id(model.source_repo);
  source->set_revision(model.source_revision);
  source->set_hfbundle_version(kHfbundleVersion);
  source->set_command_line(command_line);
  for (const ProvenanceInput& input : inputs) {
    bundle::InputFile* file = source->add_inputs();
    file->set_name(input.name);
    file->set_size(input.size);
    file->set_hash(input.hash);
  }
  return ok_status();
}

}  // namespace hfb
