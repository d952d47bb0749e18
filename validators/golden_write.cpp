// save_golden: golden.json (nlohmann) + a plain safetensors file of the case tensors.
#include "validators/golden_write.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>
#include <vector>

#include "validators/report.h"

namespace hfb {
namespace {

using nlohmann::json;

/// One tensor of the safetensors file being assembled: header entry + bytes.
struct PendingTensor {
  std::string name;
  std::string dtype;
  std::vector<int64_t> shape;
  std::string bytes;
};

PendingTensor i64_tensor(const std::string& name, const std::vector<int64_t>& ids) {
  PendingTensor t{name, "I64", {static_cast<int64_t>(ids.size())}, std::string()};
  t.bytes.assign(reinterpret_cast<const char*>(ids.data()), ids.size() * sizeof(int64_t));
  return t;
}

PendingTensor f32_tensor(const std::string& name, const Matrix& m) {
  PendingTensor t{name, "F32", {m.rows, m.cols}, std::string()};
  t.bytes.assign(reinterpret_cast<const char*>(m.data.data()), m.data.size() * sizeof(float));
  return t;
}

std::string safetensors_bytes(const std::vector<PendingTensor>& tensors) {
  json header = json::object();
  header["__metadata__"] = {{"format", "pt"}, {"writer", "hfbundle save_golden"}};
  uint64_t offset = 0;
  for (const PendingTensor& t : tensors) {
    header[t.name] = {{"dtype", t.dtype}, {"shape", t.shape}, {"data_offsets", {offset, offset + t.bytes.size()}}};
    offset += t.bytes.size();
  }
  std::string text = header.dump();
  while (text.size() % 8 != 0) text += ' ';  // data starts 8-byte aligned
  std::string out(8, '\0');
  uint64_t length = text.size();
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((length >> (8 * i)) & 0xff);
  out += text;
  for (const PendingTensor& t : tensors) out += t.bytes;
  return out;
}

json case_json(const GoldenCase& c) {
  json steps = json::array();
  for (const GoldenStep& s : c.steps) {
    steps.push_back({{"token", s.token}, {"top1", s.top1}, {"top2", s.top2}, {"top1_logit", s.top1_logit},
                     {"top2_logit", s.top2_logit}, {"margin", s.margin}});
  }
  return {{"name", c.name}, {"prompt", c.prompt}, {"greedy", c.greedy}, {"steps", steps},
          {"stopped_at_eos", c.stopped_at_eos}};
}

Status add_case_tensors(const GoldenCase& c, std::vector<PendingTensor>* tensors) {
  if (c.has_media()) {
    return Error(ErrorCode::kUnsupported, "saving goldens with media inputs is not supported (case '" + c.name + "')");
  }
  if (c.steps.size() != c.greedy.size()) {
    return Error(ErrorCode::kInvalidArgument, "case '" + c.name + "': steps and greedy tokens disagree");
  }
  tensors->push_back(i64_tensor(c.name + ".prompt_ids", c.prompt));
  tensors->push_back(i64_tensor(c.name + ".greedy_ids", c.greedy));
  tensors->push_back(f32_tensor(c.name + ".prefill_logits", c.prefill_logits));
  tensors->push_back(f32_tensor(c.name + ".step_logits", c.step_logits));
  for (const auto& [index, m] : c.hidden_states) {
    tensors->push_back(f32_tensor(c.name + ".hidden_states." + std::to_string(index), m));
  }
  for (const auto& [name, m] : c.taps) tensors->push_back(f32_tensor(c.name + "." + name, m));
  return ok_status();
}

}  // namespace

Status save_golden(const Golden& golden, const std::string& dir) {
  json root = {{"format", golden.format.empty() ? "hf-gemma4-golden/1" : golden.format},
               {"preset", golden.preset},
               {"model_class", golden.model_class},
               {"recorded_from", golden.dir}};
  json cases = json::array();
  std::vector<PendingTensor> tensors;
  for (const GoldenCase& c : golden.cases) {
    HFB_TRY(add_case_tensors(c, &tensors));
    cases.push_back(case_json(c));
  }
  root["cases"] = cases;
  if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) {
    return Error(ErrorCode::kIo, std::string("cannot create the golden directory: ") + std::strerror(errno))
        .with_path(dir);
  }
  HFB_TRY(write_text_file_atomic(dir + "/golden_tensors.safetensors", safetensors_bytes(tensors)));
  return write_text_file_atomic(dir + "/golden.json", root.dump(2) + "\n");
}

}  // namespace hfb
