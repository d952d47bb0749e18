// `hfbundle inspect BUNDLE`: the manifest (version, source, config, chunks, files, tensors, passes, coverage)
// as one JSON object or a human report.
#include "pipeline/bundle_inspect.h"

#include <cctype>
#include <cinttypes>
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>

#include "formats/bundle.pb.h"
#include "pipeline/model_summary.h"
#include "readers/bundle/bundle_manifest.h"

namespace hfb {

namespace {

using json = nlohmann::ordered_json;

// "FILE_CHUNK" -> "chunk", "COMPRESSION_ZSTD" -> "zstd".
std::string enum_label(const std::string& proto_name) {
  std::string label = proto_name.substr(proto_name.find('_') + 1);
  for (char& c : label) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return label;
}

std::string hex64(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%016" PRIx64, v);
  return buf;
}

uint64_t stored_bytes(const BundleTensor& t) {
  uint64_t sum = 0;
  for (const BundleSegmentView& s : t.segments) sum += s.length;
  return sum;
}

// "q4_0", or the storage dtype ("BF16") for plain tensors.
std::string encoding_label(const BundleTensor& t) {
  return t.scheme.empty() ? std::string(t.info.dtype.name()) : t.scheme;
}

json config_json(const Bundle& bundle) {
  Model model;
  model.config = bundle.config();
  const json all = json::parse(model_summary_json(model, "hfbundle", -1));
  json out = json::object();
  for (const char* key : {"architecture", "model_type", "text", "audio", "vision", "generation", "token_ids"}) {
    out[key] = all.at(key);
  }
  return out;
}

json tensor_json(const BundleTensor& t) {
  json j = {{"name", t.info.name},
            {"role", std::string(role_name(t.info.role))},
            {"tower", std::string(tower_name(t.info.tower))},
            {"layer", t.info.layer < 0 ? json(nullptr) : json(t.info.layer)},
            {"chunk", t.chunk},
            {"dtype", std::string(t.info.dtype.name())},
            {"scheme", t.scheme.empty() ? json(nullptr) : json(t.scheme)},
            {"shape", t.info.shape.dims()},
            {"num_bytes", stored_bytes(t)}};
  if (!t.scheme.empty()) {
    j["group_size"] = t.group_size;
    j["block_size"] = t.block_size;
    j["scale_dtype"] = t.scale_dtype;
    j["per_tensor"] = t.per_tensor;
    j["per_channel_scale"] = t.per_channel_scale;
  }
  json segments = json::array();
  for (const BundleSegmentView& s : t.segments) {
    segments.push_back(
        {{"part", s.part}, {"file", s.file}, {"offset", s.offset}, {"length", s.length}, {"xxh3", hex64(s.xxh3)}});
  }
  j["segments"] = std::move(segments);
  return j;
}

json metrics_json(const google::protobuf::RepeatedPtrField<bundle::Metric>& metrics) {
  json out = json::object();
  for (const bundle::Metric& m : metrics) out[m.name()] = m.value();
  return out;
}

json files_json(const bundle::Manifest& m) {
  json files = json::array();
  for (const bundle::File& f : m.files()) {
    files.push_back({{"name", f.name()},
                     {"kind", enum_label(bundle::FileKind_Name(f.kind()))},
                     {"compression", enum_label(bundle::Compression_Name(f.compression()))},
                     {"raw_size", f.raw_size()},
                     {"stored_size", f.stored_size()},
                     {"zstd_level", f.zstd_level()},
                     {"stored_xxh3", hex64(f.stored_xxh3())}});
  }
  return files;
}

json chunks_json(const Bundle& bundle) {
  std::map<std::string, size_t> tensors_per_chunk;
  for (const BundleTensor& t : bundle.tensors()) ++tensors_per_chunk[t.chunk];
  json chunks = json::array();
  const auto& protos = bundle.manifest().chunks();
  for (size_t i = 0; i < bundle.chunks().size(); ++i) {
    const BundleChunkInfo& c = bundle.chunks()[i];
    const bundle::Graph empty;
    const bundle::Graph& g = i < static_cast<size_t>(protos.size()) ? protos[static_cast<int>(i)].graph() : empty;
    chunks.push_back({{"name", c.name}, {"kind", c.kind}, {"first_layer", c.first_layer},
                      {"end_layer", c.end_layer}, {"file", c.file}, {"inputs", c.inputs},
                      {"outputs", c.outputs}, {"state", c.state}, {"num_nodes", g.nodes_size()},
                      {"graph_inputs", std::vector<std::string>(g.inputs().begin(), g.inputs().end())},
                      {"graph_outputs", std::vector<std::string>(g.outputs().begin(), g.outputs().end())},
                      {"imported_states",
                       std::vector<std::string>(g.imported_states().begin(), g.imported_states().end())},
                      {"num_tensors", tensors_per_chunk[c.name]}});
  }
  return chunks;
}

json reports_json(const bundle::Manifest& m, json* coverage) {
  json passes = json::array();
  for (const bundle::PassRecord& p : m.passes()) {
    passes.push_back({{"pass", p.pass()}, {"summary", p.summary()}, {"metrics", metrics_json(p.metrics())},
                      {"details", std::vector<std::string>(p.details().begin(), p.details().end())}});
  }
  *coverage = json::array();
  for (const bundle::CoverageRecord& c : m.coverage()) {
    coverage->push_back({{"tensor", c.tensor()}, {"scheme", c.scheme()}, {"rule", c.rule()}, {"reason", c.reason()},
                         {"bytes_before", c.bytes_before()}, {"bytes_after", c.bytes_after()},
                         {"metrics", metrics_json(c.metrics())}});
  }
  return passes;
}

}  // namespace

std::string bundle_tensor_summary(const BundleTensor& t, bool as_json) {
  const json j = tensor_json(t);
  if (as_json) return j.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
  std::string out = "tensor: " + t.info.name + "\n";
  for (const char* key : {"role", "tower", "layer", "chunk", "dtype", "scheme", "shape", "num_bytes", "group_size",
                          "block_size", "scale_dtype", "per_tensor", "per_channel_scale"}) {
    if (j.contains(key)) out += std::string("  ") + key + ": " + j[key].dump() + "\n";
  }
  for (const json& s : j["segments"]) {
    out += "  segment " + s["part"].get<std::string>() + ": " + s["file"].get<std::string>() + " offset " +
           s["offset"].dump() + " length " + s["length"].dump() + " xxh3 " + s["xxh3"].get<std::string>() + "\n";
  }
  return out;
}

std::string bundle_summary_json(const Bundle& bundle, int indent) {
  const bundle::Manifest& m = bundle.manifest();
  json out;
  out["format"] = "hfbundle";
  out["path"] = bundle.path();
  out["container"] = bundle.is_zip() ? "zip" : "directory";
  out["version"] = {{"major", bundle.format_major()}, {"minor", bundle.format_minor()}};
  out["producer"] = bundle.producer();
  out["source"] = {{"checkpoint_name", m.source().checkpoint_name()},
                   {"config_xxh3", hex64(m.source().config_xxh3())},
                   {"tensor_count", m.source().tensor_count()},
                   {"repo_id", m.source().repo_id()},
                   {"revision", m.source().revision()},
                   {"hfbundle_version", m.source().hfbundle_version()},
                   {"command_line", m.source().command_line()},
                   {"inputs", nlohmann::ordered_json::array()}};
  for (const auto& input : m.source().inputs()) {
    out["source"]["inputs"].push_back({{"name", input.name()}, {"size", input.size()}, {"hash", input.hash()}});
  }
  out["alignment"] = m.alignment();
  // The recipe (format 1.4) as an object, null from older writers; the manifest holds canonical JSON.
  json recipe = m.recipe_json().empty() ? json(nullptr) : json::parse(m.recipe_json(), nullptr, false);
  out["recipe"] = recipe.is_discarded() ? json(m.recipe_json()) : recipe;
  out["config"] = config_json(bundle);
  out["files"] = files_json(m);
  out["chunks"] = chunks_json(bundle);
  out["text_graph"] = m.has_text_graph() ? json{{"nodes", m.text_graph().nodes_size()},
                                                {"values", m.text_graph().values_size()},
                                                {"states", m.text_graph().states_size()}}
                                         : json(nullptr);
  uint64_t total = 0;
  json by_scheme = json::object();
  json tensors = json::array();
  for (const BundleTensor& t : bundle.tensors()) {
    const uint64_t bytes = stored_bytes(t);
    total += bytes;
    json& tally = by_scheme[encoding_label(t)];
    if (tally.is_null()) tally = {{"count", 0}, {"bytes", 0}};
    tally["count"] = tally["count"].get<uint64_t>() + 1;
    tally["bytes"] = tally["bytes"].get<uint64_t>() + bytes;
    tensors.push_back(tensor_json(t));
  }
  out["num_tensors"] = bundle.tensors().size();
  out["total_bytes"] = total;
  out["bytes_by_scheme"] = std::move(by_scheme);
  out["tensors"] = std::move(tensors);
  json coverage;
  out["passes"] = reports_json(m, &coverage);
  out["coverage"] = std::move(coverage);
  return out.dump(indent, ' ', false, json::error_handler_t::replace);
}

}  // namespace hfb
