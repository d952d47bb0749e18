// Builders of hostile inputs for the CLI catalogue (tests/cli/hostile_catalogue_test.cpp): edited copies of
// the sample checkpoint and its bundles, and a runner that bounds time and address space.
#pragma once

#include <sys/wait.h>

#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "formats/bundle.pb.h"

namespace hfb::testing {

struct HostileRun {
  int exit_code = -1;   ///< the exit status, or 128 + signal when killed (137: timeout/SIGKILL, 134: abort)
  std::string err;      ///< stderr
  double seconds = 0;
};

/// Runs `hfbundle ARGS` under `timeout -s KILL` and, when `address_space_kb` > 0, `ulimit -v`.
inline HostileRun run_bounded(const std::string& args, int timeout_seconds, long address_space_kb) {
  const std::string stem = std::filesystem::temp_directory_path() / ("hfb_hostile_" + std::to_string(::getpid()));
  const std::string err_file = stem + ".err", script_file = stem + ".sh";
  std::string script = "cd /tmp; ";
  if (address_space_kb > 0) script += "ulimit -v " + std::to_string(address_space_kb) + "; ";
  script += "exec timeout -s KILL " + std::to_string(timeout_seconds) + " " + std::string(HFB_CLI_PATH) + " " + args +
            " > /dev/null 2> " + err_file;
  const auto start = std::chrono::steady_clock::now();
  {
    std::ofstream(script_file) << script << "\n";  // a file: ARGS may hold quotes
  }
  const int status = std::system(("bash " + script_file).c_str());
  std::filesystem::remove(script_file);
  HostileRun r;
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  std::ifstream in(err_file);
  r.err.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  std::filesystem::remove(err_file);
  return r;
}

inline std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

inline void spit(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

/// Replaces the first `from` in the file with `to`; false if absent.
inline bool replace_in_file(const std::string& path, const std::string& from, const std::string& to) {
  std::string text = slurp(path);
  const size_t at = text.find(from);
  if (at == std::string::npos) return false;
  text.replace(at, from.size(), to);
  spit(path, text);
  return true;
}

inline void copy_dir(const std::string& from, const std::string& to) {
  std::filesystem::create_directories(to);
  std::filesystem::copy(from, to, std::filesystem::copy_options::recursive | std::filesystem::copy_options::overwrite_existing);
}

/// Sets element [row, col] of a 2-D F32 or BF16 tensor of `file` (a safetensors file) to `value`.
inline bool set_weight(const std::string& file, const std::string& tensor, int64_t row, int64_t col, float value) {
  std::string bytes = slurp(file);
  if (bytes.size() < 8) return false;
  uint64_t n = 0;
  std::memcpy(&n, bytes.data(), 8);
  const nlohmann::json header = nlohmann::json::parse(bytes.substr(8, n));
  if (!header.contains(tensor)) return false;
  const auto& entry = header[tensor];
  const int64_t cols = entry["shape"][1].get<int64_t>();
  const std::string dtype = entry["dtype"].get<std::string>();
  const uint64_t element = dtype == "F32" ? 4 : 2;
  const uint64_t at = 8 + n + entry["data_offsets"][0].get<uint64_t>() + static_cast<uint64_t>(row * cols + col) * element;
  uint32_t bits = 0;
  std::memcpy(&bits, &value, 4);
  if (element == 4) {
    std::memcpy(&bytes[at], &bits, 4);
  } else {
    const uint16_t high = static_cast<uint16_t>(bits >> 16);  // bf16 (f16 checkpoints are not used here)
    std::memcpy(&bytes[at], &high, 2);
  }
  spit(file, bytes);
  return true;
}

/// Parses `bundle_dir`/manifest.pb, applies `edit`, writes it back.
inline bool edit_manifest(const std::string& bundle_dir, const std::function<void(bundle::Manifest&)>& edit) {
  bundle::Manifest m;
  const std::string path = bundle_dir + "/manifest.pb";
  if (!m.ParseFromString(slurp(path))) return false;
  edit(m);
  std::string out;
  if (!m.SerializeToString(&out)) return false;
  spit(path, out);
  return true;
}

/// Offset of the data of stored zip entry `name` in `zip_bytes` (after its local header), or npos.
inline size_t zip_entry_data_offset(const std::string& zip_bytes, const std::string& name) {
  const std::string signature("PK\x03\x04", 4);
  for (size_t at = zip_bytes.find(signature); at != std::string::npos; at = zip_bytes.find(signature, at + 4)) {
    if (at + 30 > zip_bytes.size()) break;
    const auto u16 = [&](size_t o) { return static_cast<size_t>(static_cast<uint8_t>(zip_bytes[o]) | (static_cast<uint8_t>(zip_bytes[o + 1]) << 8)); };
    const size_t name_length = u16(at + 26), extra_length = u16(at + 28);
    if (zip_bytes.compare(at + 30, name_length, name) == 0) return at + 30 + name_length + extra_length;
  }
  return std::string::npos;
}

/// Flips one bit of byte `offset` of `path`.
inline void flip_byte(const std::string& path, size_t offset) {
  std::string bytes = slurp(path);
  bytes[offset] = static_cast<char>(bytes[offset] ^ 0x40);
  spit(path, bytes);
}

}  // namespace hfb::testing
