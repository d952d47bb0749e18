// The resolved config of a Gemma 4 fixture set, for the tests of models/ (one helper instead of a copy per file).
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "models/gemma4/gemma4_config.h"

namespace hfb::test {

/// fixtures/gemma4/<fixture>/config.json read and resolved; a failure is a test failure naming the error.
inline ModelConfig load_fixture_config(const std::string& fixture) {
  const std::filesystem::path path = std::filesystem::path(HFB_FIXTURES_DIR) / "gemma4" / fixture / "config.json";
  auto config = read_gemma4_config(path.string());
  EXPECT_TRUE(config.ok()) << config.error().to_string();
  return config.ok() ? config.value() : ModelConfig{};
}

}  // namespace hfb::test
