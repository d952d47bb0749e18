// Joins golden_tensors.safetensors with the cases parsed from golden.json.
#include "validators/golden_tensors.h"

#include <cstring>
#include <map>

namespace hfb {

namespace {

Result<ByteSpan> tensor_bytes(const TensorInfo& info, uint64_t element_bytes) {
  auto n = info.shape.num_elements();
  if (!n || *n > info.num_bytes || info.num_bytes != *n * element_bytes) {
    return Error(ErrorCode::kInvalidFile, "byte size " + std::to_string(info.num_bytes) +
                                              " does not match shape " + info.shape.to_string())
        .with_tensor(info.name);
  }
  if (!info.source) return Error(ErrorCode::kInternal, "tensor has no byte source").with_tensor(info.name);
  return info.source->read(info.offset, info.num_bytes);
}

Result<std::vector<uint8_t>> tensor_to_u8(const TensorInfo& info) {
  if (info.dtype != DType(DTypeId::kU8) && info.dtype != DType(DTypeId::kBool)) {
    return Error(ErrorCode::kInvalidFile, "expected U8, got " + std::string(info.dtype.name()))
        .with_tensor(info.name);
  }
  HFB_TRY(ByteSpan span, tensor_bytes(info, 1));
  return std::vector<uint8_t>(span.data, span.data + span.size);
}

// Splits "<case>.<rest>" for the case names of `golden`; empty strings when no case matches.
std::pair<GoldenCase*, std::string> split_name(const std::string& name, Golden* golden) {
  for (GoldenCase& c : golden->cases) {
    if (name.size() > c.name.size() + 1 && name.compare(0, c.name.size(), c.name) == 0 &&
        name[c.name.size()] == '.') {
      return {&c, name.substr(c.name.size() + 1)};
    }
  }
  return {nullptr, ""};
}

// Stores one tensor of a case into the right field. `rest` is the name after "<case>.".
Status attach_one(const TensorInfo& info, const std::string& rest, GoldenCase* c,
                  std::map<std::string, bool>* seen) {
  (*seen)[rest] = true;
  if (rest == "prompt_ids" || rest == "greedy_ids") {
    HFB_TRY(std::vector<int64_t> ids, golden_tensor_to_i64(info));
    const auto& expected = rest == "prompt_ids" ? c->prompt : c->greedy;
    if (ids != expected) {
      return Error(ErrorCode::kInvalidFile, "differs from golden.json's " +
                                                std::string(rest == "prompt_ids" ? "prompt" : "greedy"))
          .with_tensor(info.name);
    }
    return ok_status();
  }
  if (rest == "input_features_mask") {
    HFB_TRY(c->media.input_features_mask, tensor_to_u8(info));
    return ok_status();
  }
  if (rest == "image_position_ids") {
    HFB_TRY(c->media.image_position_ids, golden_tensor_to_i64(info));
    return ok_status();
  }
  if (info.dtype == DType(DTypeId::kI64)) {  // mm_token_type_ids, router_topk_ids.<layer>
    HFB_TRY(std::vector<int64_t> ids, golden_tensor_to_i64(info));
    Matrix m;
    m.cols = info.shape.rank() >= 2 ? info.shape.dims().back() : 1;
    m.rows = m.cols ? static_cast<int64_t>(ids.size()) / m.cols : 0;
    m.data.assign(ids.begin(), ids.end());
    c->id_tensors[rest] = std::move(m);
    return ok_status();
  }
  Matrix m;
  if (info.dtype == DType(DTypeId::kU8) || info.dtype == DType(DTypeId::kBool)) {
    HFB_TRY(std::vector<uint8_t> bytes, tensor_to_u8(info));
    m.rows = static_cast<int64_t>(bytes.size());
    m.cols = 1;
    m.data.assign(bytes.begin(), bytes.end());
  } else {
    HFB_TRY(m, golden_tensor_to_matrix(info));
  }
  const std::string kHidden = "hidden_states.";
  if (rest == "prefill_logits") {
    c->prefill_logits = std::move(m);
  } else if (rest == "step_logits") {
    c->step_logits = std::move(m);
  } else if (rest == "input_features") {
    c->media.input_features = std::move(m);
  } else if (rest == "pixel_values") {
    c->media.pixel_values = std::move(m);
  } else if (rest.compare(0, kHidden.size(), kHidden) == 0) {
    const std::string digits = rest.substr(kHidden.size());
    if (digits.empty() || digits.size() > 4 || digits.find_first_not_of("0123456789") != std::string::npos) {
      return Error(ErrorCode::kInvalidFile, "hidden state index is not a number").with_tensor(info.name);
    }
    c->hidden_states[std::stoi(digits)] = std::move(m);
  } else {
    c->taps[rest] = std::move(m);
  }
  return ok_status();
}

// mm_token_type_ids: one type per prompt position (0 text, 1 image, 2 video, 3 audio); router_topk_ids.<i>:
// one row per processed position (prompt + greedy[:-1]), distinct non-negative expert ids per row.
Status check_id_tensors(const GoldenCase& c) {
  const int64_t prompt_len = static_cast<int64_t>(c.prompt.size());
  const int64_t positions = prompt_len + static_cast<int64_t>(c.greedy.size()) - (c.greedy.empty() ? 0 : 1);
  for (const auto& [name, m] : c.id_tensors) {
    const std::string tensor = c.name + "." + name;
    if (name == "mm_token_type_ids") {
      if (m.rows * m.cols != prompt_len) {
        return Error(ErrorCode::kInvalidFile, "has " + std::to_string(m.rows * m.cols) +
                                                  " entries, expected the prompt length " + std::to_string(prompt_len))
            .with_tensor(tensor);
      }
      for (float v : m.data) {
        if (v < 0.0f || v > 3.0f) return Error(ErrorCode::kInvalidFile, "type outside 0..3").with_tensor(tensor);
      }
    } else if (name.rfind("router_topk_ids.", 0) == 0) {
      if (m.rows != positions) {
        return Error(ErrorCode::kInvalidFile, "has " + std::to_string(m.rows) + " rows, expected " +
                                                  std::to_string(positions) + " (prompt + greedy - 1)")
            .with_tensor(tensor);
      }
      for (int64_t r = 0; r < m.rows; ++r) {
        for (int64_t j = 0; j < m.cols; ++j) {
          const float e = m.row(r)[j];
          bool repeated = false;
          for (int64_t k = 0; k < j; ++k) repeated = repeated || m.row(r)[k] == e;
          if (e < 0.0f || repeated) {
            return Error(ErrorCode::kInvalidFile, "row " + std::to_string(r) + ": negative or repeated expert id")
                .with_tensor(tensor);
          }
        }
      }
    }
  }
  return ok_status();
}

// Checks the joined case: required tensors present, shapes consistent with golden.json.
Status check_case(const GoldenCase& c, const std::map<std::string, bool>& seen, int64_t* vocab) {
  for (const char* required : {"prompt_ids", "greedy_ids", "prefill_logits", "step_logits"}) {
    if (!seen.count(required)) {
      return Error(ErrorCode::kNotFound, "required tensor missing").with_tensor(c.name + "." + required);
    }
  }
  const int64_t prompt_len = static_cast<int64_t>(c.prompt.size());
  const int64_t steps = static_cast<int64_t>(c.steps.size());
  if (*vocab == 0) *vocab = c.prefill_logits.cols;
  if (c.prefill_logits.rows != prompt_len || c.prefill_logits.cols != *vocab || *vocab < 2) {
    return Error(ErrorCode::kInvalidFile, "shape [" + std::to_string(c.prefill_logits.rows) + "," +
                                              std::to_string(c.prefill_logits.cols) + "], expected [" +
                                              std::to_string(prompt_len) + "," + std::to_string(*vocab) + "]")
        .with_tensor(c.name + ".prefill_logits");
  }
  if (c.step_logits.rows != steps || c.step_logits.cols != *vocab) {
    return Error(ErrorCode::kInvalidFile, "shape [" + std::to_string(c.step_logits.rows) + "," +
                                              std::to_string(c.step_logits.cols) + "], expected [" +
                                              std::to_string(steps) + "," + std::to_string(*vocab) + "]")
        .with_tensor(c.name + ".step_logits");
  }
  HFB_TRY(check_id_tensors(c));
  for (const auto& [index, h] : c.hidden_states) {
    if (h.rows != prompt_len) {
      return Error(ErrorCode::kInvalidFile, "has " + std::to_string(h.rows) + " rows, expected the prompt length " +
                                                std::to_string(prompt_len))
          .with_tensor(c.name + ".hidden_states." + std::to_string(index));
    }
  }
  return ok_status();
}

}  // namespace

Result<Matrix> golden_tensor_to_matrix(const TensorInfo& info) {
  if (!info.dtype.is_float() || info.dtype.is_quantized() || info.shape.rank() == 0) {
    return Error(ErrorCode::kInvalidFile, "expected a float tensor of rank >= 1, got " +
                                              std::string(info.dtype.name()) + " " + info.shape.to_string())
        .with_tensor(info.name);
  }
  HFB_TRY(std::vector<float> values, tensor_to_f32(info));
  Matrix m;
  m.cols = info.shape.rank() == 1 ? 1 : info.shape.dims().back();
  m.rows = m.cols == 0 ? 0 : static_cast<int64_t>(values.size()) / m.cols;
  m.data = std::move(values);
  return m;
}

Result<std::vector<int64_t>> golden_tensor_to_i64(const TensorInfo& info) {
  if (info.dtype != DType(DTypeId::kI64)) {
    return Error(ErrorCode::kInvalidFile, "expected I64, got " + std::string(info.dtype.name()))
        .with_tensor(info.name);
  }
  HFB_TRY(ByteSpan span, tensor_bytes(info, 8));
  std::vector<int64_t> out(span.size / 8);
  if (!out.empty()) std::memcpy(out.data(), span.data, span.size);
  return out;
}

Status attach_golden_tensors(const std::vector<TensorInfo>& tensors, const std::string& path, Golden* golden) {
  std::map<std::string, std::map<std::string, bool>> seen;
  for (const TensorInfo& info : tensors) {
    auto [c, rest] = split_name(info.name, golden);
    if (c == nullptr) continue;  // tensors of no listed case are ignored
    Status s = attach_one(info, rest, c, &seen[c->name]);
    if (!s.ok()) return std::move(s).error().with_path(path);
  }
  golden->vocab_size = 0;
  for (const GoldenCase& c : golden->cases) {
    Status s = check_case(c, seen[c.name], &golden->vocab_size);
    if (!s.ok()) return std::move(s).error().with_path(path);
  }
  return ok_status();
}

}  // namespace hfb
