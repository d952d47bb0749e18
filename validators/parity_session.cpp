// Opening a model for run/verify: MODEL path -> loaded checkpoint -> reference-runtime Session.
#include "validators/parity_session.h"

#include <cmath>
#include <cstdlib>

#include "validators/runtime.h"
#if __has_include("readers/model_reader.h")
#include "readers/model_reader.h"
#define HFB_HAVE_MODEL_READER 1
#endif

namespace hfb {

Result<ModelSession> open_model_session(const Model& model) {
  ModelSession out;
  HFB_TRY(out.session, make_session(model));
  for (int id : model.config.generation.eos_token_ids) out.eos_ids.push_back(id);
  out.source = model.source;
  return out;
}

Result<ModelSession> open_model_session(const std::string& path) {
#ifdef HFB_HAVE_MODEL_READER
  HFB_TRY(Model model, load_checkpoint(path));
  HFB_TRY(ModelSession out, open_model_session(model));
  out.source = path;
  return out;
#else
  return Error(ErrorCode::kUnsupported, "checkpoint loading is not built in yet").with_path(path);
#endif
}

Result<ParityReport> verify_model(const std::string& model_path, const std::string& golden_dir,
                                  VerifyOptions options) {
  HFB_TRY(Golden golden, load_golden(golden_dir));
  HFB_TRY(Golden selected, select_golden_cases(std::move(golden), options.cases));
  options.cases.clear();  // already applied
  if (options.model.empty()) options.model = model_path;
  HFB_TRY(ModelSession model, open_model_session(model_path));
  return verify_against_golden(*model.session, selected, options);
}

Result<std::optional<double>> parse_logit_tolerance(const std::string& text) {
  if (text == "off") return std::optional<double>();
  char* end = nullptr;
  const double value = std::strtod(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size() || !std::isfinite(value) || value < 0.0) {
    return Error(ErrorCode::kInvalidArgument,
                 "--logit-tolerance expects a number >= 0 or 'off', got '" + text + "'");
  }
  return std::optional<double>(value);
}

Result<std::vector<std::string>> parse_name_list(const std::string& text) {
  std::vector<std::string> names;
  size_t start = 0;
  while (true) {
    const size_t comma = text.find(',', start);
    std::string item = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (item.empty()) return Error(ErrorCode::kInvalidArgument, "empty name in list '" + text + "'");
    names.push_back(std::move(item));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return names;
}

}  // namespace hfb
