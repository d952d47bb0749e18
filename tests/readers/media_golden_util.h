// Test helpers for the media goldens (fixtures/gemma4/media): golden.json and golden_tensors.safetensors by name.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/byte_source.h"
#include "readers/safetensors.h"

namespace hfb::test {

inline std::string media_dir() { return std::string(HFB_FIXTURES_DIR) + "/gemma4/media"; }

/// golden.json and the tensors of the media fixture, loaded once per test binary.
class MediaGolden {
 public:
  static const MediaGolden& get() {
    static MediaGolden golden;
    return golden;
  }
  const nlohmann::json& json() const { return json_; }
  bool has(const std::string& name) const { return tensors_.count(name) != 0; }
  const TensorInfo& info(const std::string& name) const {
    auto it = tensors_.find(name);
    if (it == tensors_.end()) throw std::runtime_error("no golden tensor " + name);
    return it->second;
  }
  template <typename T>
  std::vector<T> values(const std::string& name) const {
    const TensorInfo& t = info(name);
    auto span = t.source->read(t.offset, t.num_bytes);
    if (!span.ok()) throw std::runtime_error(span.error().to_string());
    std::vector<T> out(t.num_bytes / sizeof(T));
    std::memcpy(out.data(), span->data, out.size() * sizeof(T));
    return out;
  }
  const nlohmann::json& audio(const std::string& name) const { return find(json_["audio"], name); }
  const nlohmann::json& image(const std::string& name) const { return find(json_["images"], name); }

 private:
  MediaGolden() {
    std::ifstream in(media_dir() + "/golden.json");
    json_ = nlohmann::json::parse(in);
    auto file = MmapFile::open(media_dir() + "/golden_tensors.safetensors");
    if (!file.ok()) throw std::runtime_error(file.error().to_string());
    auto parsed = parse_safetensors(*file);
    if (!parsed.ok()) throw std::runtime_error(parsed.error().to_string());
    for (auto& t : *parsed) tensors_[t.name] = t;
  }
  static const nlohmann::json& find(const nlohmann::json& list, const std::string& name) {
    for (const auto& item : list) {
      if (item["name"] == name) return item;
    }
    throw std::runtime_error("no golden entry " + name);
  }
  nlohmann::json json_;
  std::map<std::string, TensorInfo> tensors_;
};

}  // namespace hfb::test
