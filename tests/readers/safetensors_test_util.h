// Test helpers for the safetensors reader: byte builders, throw-away checkpoint directories, error checks.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace hfb::test {

/// 8-byte little-endian `declared_length`, then `header`, then `data_bytes` bytes of `fill`.
inline std::vector<uint8_t> make_safetensors_raw(uint64_t declared_length, std::string_view header,
                                                 uint64_t data_bytes, uint8_t fill = 0xAB) {
  std::vector<uint8_t> out;
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<uint8_t>(declared_length >> (8 * i)));
  out.insert(out.end(), header.begin(), header.end());
  out.insert(out.end(), data_bytes, fill);
  return out;
}

/// A well-framed file (correct length field) with the given header and data size.
inline std::vector<uint8_t> make_safetensors(std::string_view header, uint64_t data_bytes, uint8_t fill = 0xAB) {
  return make_safetensors_raw(header.size(), header, data_bytes, fill);
}

/// Absolute file offset of data byte `begin` for a file made by make_safetensors(header, ...).
inline uint64_t data_at(std::string_view header, uint64_t begin) { return 8 + header.size() + begin; }

/// Absolute file offset of the first `"key"` in a header (8 + its position in the JSON).
inline uint64_t key_at(std::string_view header, std::string_view key) {
  const size_t pos = header.find("\"" + std::string(key) + "\"");
  EXPECT_NE(pos, std::string_view::npos) << key;
  return 8 + pos;
}

/// A fresh directory under the test temp dir, removed on destruction.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "hfb-st-XXXXXX").string();
    const char* made = ::mkdtemp(pattern.data());
    EXPECT_NE(made, nullptr);
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }
  void write(const std::string& name, const std::vector<uint8_t>& bytes) const {
    std::ofstream f(file(name), std::ios::binary);
    f.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    EXPECT_TRUE(f.good()) << file(name);
  }
  void write_text(const std::string& name, const std::string& text) const {
    write(name, std::vector<uint8_t>(text.begin(), text.end()));
  }

 private:
  std::string path_;
};

/// What a failing case must report. Empty fields are not checked.
struct ExpectedError {
  ErrorCode code = ErrorCode::kInvalidFile;
  std::vector<std::string> substrings;  ///< each must appear in Error::to_string()
  std::string path_suffix;              ///< Error::path must end with this
  std::string tensor;                   ///< Error::tensor must equal this
  std::optional<uint64_t> offset;       ///< Error::offset must equal this
};

inline void expect_error_matches(const Error& e, const ExpectedError& want) {
  const std::string text = e.to_string();
  EXPECT_EQ(error_code_name(e.code), std::string(error_code_name(want.code))) << text;
  for (const auto& s : want.substrings) {
    EXPECT_NE(text.find(s), std::string::npos) << "'" << s << "' not in: " << text;
  }
  if (!want.path_suffix.empty()) {
    EXPECT_GE(e.path.size(), want.path_suffix.size()) << text;
    if (e.path.size() >= want.path_suffix.size()) {
      EXPECT_EQ(e.path.substr(e.path.size() - want.path_suffix.size()), want.path_suffix) << text;
    }
  }
  if (!want.tensor.empty()) {
    EXPECT_EQ(e.tensor, want.tensor) << text;
  }
  if (want.offset) {
    ASSERT_TRUE(e.offset.has_value()) << text;
    EXPECT_EQ(*e.offset, *want.offset) << text;
  }
  EXPECT_FALSE(e.message.empty());
}

}  // namespace hfb::test
