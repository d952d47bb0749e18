// libFuzzer target for the manifest's op graph: bytes -> hfb.bundle.OpGraph -> graph_from_proto_validated
// (every node re-validated, dims re-inferred with checked arithmetic) -> to_text(). Seeds: fixtures/fuzz/graph
// (text graphs of real bundles). Invariants: no crash or UB, every failure carries a code, a message and a path.
#include <cstddef>
#include <cstdint>

#include <google/protobuf/stubs/logging.h>

#include "readers/bundle/bundle_graph.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const bool quiet = [] {  // libprotobuf logs every invalid UTF-8 string; the fuzzer's output is enough
    google::protobuf::SetLogHandler([](google::protobuf::LogLevel, const char*, int, const std::string&) {});
    return true;
  }();
  (void)quiet;
  if (size > (1u << 20)) return 0;  // the seeds are < 200 KB; bigger inputs only slow the run
  hfb::bundle::OpGraph proto;
  if (!proto.ParseFromArray(data, static_cast<int>(size))) return 0;
  if (proto.nodes_size() > 4096 || proto.values_size() > 16384) return 0;  // bounded work per input
  auto graph = hfb::graph_from_proto_validated(proto, "<fuzz>/manifest.pb");
  if (!graph.ok()) {
    const hfb::Error& e = graph.error();
    if (e.path.empty() || e.message.empty() || e.code == hfb::ErrorCode::kInternal) __builtin_trap();
    return 0;
  }
  const std::string text = graph->to_text();
  if (text.empty() && !graph->data().nodes.empty()) __builtin_trap();
  return 0;
}
