// Test helper: copies a fixture directory to a fresh temp dir, optionally renaming tensors in its
// model.safetensors by rewriting the header (data bytes and offsets unchanged).
#pragma once

#include <stdlib.h>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace hfb::test {

/// A fresh directory under the temp dir, removed by the destructor.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "hfb_fixture_XXXXXX").string();
    std::vector<char> buffer(pattern.begin(), pattern.end());
    buffer.push_back('\0');
    if (::mkdtemp(buffer.data()) != nullptr) path_ = buffer.data();
  }
  ~TempDir() {
    std::error_code ignored;
    if (!path_.empty()) std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

/// Rewrites `file` in place with every tensor name mapped through `rename` (identity keeps it). The
/// header is re-serialised and padded with spaces to a multiple of 8; offsets are relative to the data
/// section, so the data bytes are copied as they are. Returns false on a malformed file.
inline bool rename_safetensors_tensors(const std::string& file,
                                       const std::function<std::string(const std::string&)>& rename) {
  std::ifstream in(file, std::ios::binary);
  std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (bytes.size() < 8) return false;
  uint64_t header_size = 0;
  std::memcpy(&header_size, bytes.data(), 8);  // little-endian host
  if (header_size > bytes.size() - 8) return false;
  nlohmann::json header = nlohmann::json::parse(bytes.begin() + 8, bytes.begin() + 8 + header_size, nullptr, false);
  if (header.is_discarded() || !header.is_object()) return false;
  nlohmann::json renamed = nlohmann::json::object();
  for (auto it = header.begin(); it != header.end(); ++it) {
    renamed[it.key() == "__metadata__" ? it.key() : rename(it.key())] = it.value();
  }
  std::string text = renamed.dump();
  while (text.size() % 8 != 0) text.push_back(' ');
  const uint64_t new_size = text.size();
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(&new_size), 8);
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
  out.write(bytes.data() + 8 + header_size, static_cast<std::streamsize>(bytes.size() - 8 - header_size));
  return static_cast<bool>(out);
}

/// Copies every file of `from` into `to` (writable copies).
inline bool copy_fixture(const std::string& from, const std::string& to) {
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(from, error)) {
    const auto target = std::filesystem::path(to) / entry.path().filename();
    std::filesystem::copy_file(entry.path(), target, std::filesystem::copy_options::overwrite_existing, error);
    if (error) return false;
    std::filesystem::permissions(target, std::filesystem::perms::owner_write, std::filesystem::perm_options::add,
                                 error);
  }
  return !error;
}

}  // namespace hfb::test
