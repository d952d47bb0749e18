// The process-wide limits and their overrides.
#include "core/limits.h"

#include <cerrno>
#include <cstdlib>

namespace hfb {
namespace {

Limits& mutable_limits() {
  static Limits instance;
  return instance;
}

struct Field {
  const char* name;
  int64_t Limits::*signed_field;
  uint64_t Limits::*unsigned_field;
};

const std::vector<Field>& fields() {
  static const std::vector<Field> table = {
      {"layers", &Limits::max_layers, nullptr},
      {"heads", &Limits::max_heads, nullptr},
      {"dim", &Limits::max_dim, nullptr},
      {"vocab", &Limits::max_vocab, nullptr},
      {"window", &Limits::max_window, nullptr},
      {"positions", &Limits::max_positions, nullptr},
      {"header_bytes", nullptr, &Limits::max_header_bytes},
      {"tensors", nullptr, &Limits::max_tensors},
      {"config_bytes", nullptr, &Limits::max_config_bytes},
      {"file_bytes", nullptr, &Limits::max_file_bytes},
      {"compression_ratio", nullptr, &Limits::max_compression_ratio},
      {"prompts", &Limits::max_prompts, nullptr},
      {"prompt_file_bytes", nullptr, &Limits::max_prompt_file_bytes},
  };
  return table;
}

}  // namespace

const Limits& limits() { return mutable_limits(); }
void set_limits(const Limits& l) { mutable_limits() = l; }

std::vector<std::string> limit_names() {
  std::vector<std::string> names;
  for (const Field& f : fields()) names.emplace_back(f.name);
  return names;
}

Status apply_limit_override(const std::string& item, Limits* l) {
  const size_t eq = item.find('=');
  std::string known;
  for (const Field& f : fields()) known += std::string(known.empty() ? "" : ", ") + f.name;
  if (eq == std::string::npos) {
    return Error(ErrorCode::kInvalidArgument, "--limit '" + item + "': expected NAME=VALUE, NAME one of " + known);
  }
  const std::string name = item.substr(0, eq);
  const std::string text = item.substr(eq + 1);
  errno = 0;
  char* end = nullptr;
  const unsigned long long value = std::strtoull(text.c_str(), &end, 10);
  const bool number = !text.empty() && text[0] != '-' && end == text.c_str() + text.size() && errno == 0 && value > 0;
  for (const Field& f : fields()) {
    if (name != f.name) continue;
    if (!number || (f.signed_field && value > static_cast<unsigned long long>(INT64_MAX))) {
      return Error(ErrorCode::kInvalidArgument, "--limit " + name + ": '" + text + "' is not a positive integer");
    }
    if (f.signed_field) l->*f.signed_field = static_cast<int64_t>(value);
    else l->*f.unsigned_field = value;
    return ok_status();
  }
  return Error(ErrorCode::kInvalidArgument, "--limit: unknown limit '" + name + "' (known: " + known + ")");
}

Status check_limit(const char* what, uint64_t value, uint64_t limit, const char* name) {
  if (value <= limit) return ok_status();
  return Error(ErrorCode::kLimit, std::string(what) + " " + std::to_string(value) + " is above the limit of " +
                                      std::to_string(limit) + " (--limit " + name + "=N raises it)");
}

}  // namespace hfb
