// PassReport accessors and its text form.
#include <cstdio>

#include "passes/pass.h"

namespace hfb {

std::string_view pass_change_kind_name(PassChange::Kind kind) {
  switch (kind) {
    case PassChange::Kind::kTensorRemoved: return "tensor removed";
    case PassChange::Kind::kTensorRewired: return "tensor rewired";
    case PassChange::Kind::kTensorFused: return "tensor fused";
    case PassChange::Kind::kInitializerRemoved: return "initializer removed";
    case PassChange::Kind::kNodeRemoved: return "node removed";
    case PassChange::Kind::kTensorMoved: return "tensor moved";
    case PassChange::Kind::kNodeMoved: return "node moved";
  }
  return "?";
}

size_t PassReport::count(PassChange::Kind kind) const {
  size_t n = 0;
  for (const PassChange& c : changes) n += c.kind == kind ? 1 : 0;
  return n;
}

uint64_t PassReport::bytes_saved() const {
  uint64_t bytes = 0;
  for (const PassChange& c : changes) {
    if (c.kind == PassChange::Kind::kTensorRemoved) bytes += c.bytes;
  }
  return bytes;
}

std::string PassReport::to_string() const {
  std::string out = pass + ": ";
  if (changes.empty()) {
    out += "no changes";
  } else {
    out += std::to_string(count(PassChange::Kind::kTensorRemoved)) + " tensors removed (" +
           std::to_string(bytes_saved()) + " bytes saved), " +
           std::to_string(count(PassChange::Kind::kNodeRemoved)) + " nodes removed";
    const size_t moved_tensors = count(PassChange::Kind::kTensorMoved);
    const size_t moved_nodes = count(PassChange::Kind::kNodeMoved);
    if (moved_tensors + moved_nodes > 0) {
      out += ", " + std::to_string(moved_tensors) + " tensors and " + std::to_string(moved_nodes) +
             " nodes moved to another chunk";
    }
  }
  out += "\n";
  for (const PassChange& c : changes) {
    out += "  " + std::string(pass_change_kind_name(c.kind)) + " " + c.name;
    if (c.kind == PassChange::Kind::kTensorRemoved || c.kind == PassChange::Kind::kTensorMoved) {
      out += " (" + std::string(role_name(c.role)) + ", " + std::string(tower_name(c.tower));
      if (c.layer >= 0) out += " layer " + std::to_string(c.layer);
      out += ", " + std::to_string(c.bytes) + " bytes)";
    }
    if (!c.reason.empty()) out += ": " + c.reason;
    out += "\n";
  }
  for (const std::string& note : notes) out += "  " + note + "\n";
  return out;
}

}  // namespace hfb
