// open_quantized_model_session / verify_quantized_model: load, quantize in memory, run the text graph.
#include "pipeline/quantized_session.h"

#include <memory>
#include <utility>

#include "models/load_checkpoint.h"
#include "models/model_family.h"
#include "runtime/graph_session.h"
#include "runtime/quantized_weight_store.h"

namespace hfb {

Result<ModelSession> open_quantized_model_session(const std::string& path, const QuantPolicy& policy,
                                                  CoverageReport* coverage) {
  HFB_TRY(Model model, load_checkpoint(path));
  return open_quantized_model_session(model, policy, coverage);
}

Result<ModelSession> open_quantized_model_session(const Model& model, const QuantPolicy& policy,
                                                  CoverageReport* coverage) {
  HFB_TRY(std::unique_ptr<QuantizedWeightStore> store, QuantizedWeightStore::create(model.tensors, policy));
  if (coverage) *coverage = store->coverage();
  HFB_TRY(Graph graph, build_text_graph(model.config, model.tensors));
  std::shared_ptr<const WeightStore> weights(std::move(store));
  ModelSession out;
  HFB_TRY(out.session, make_graph_session(graph, std::move(weights), model.config.text.num_hidden_layers));
  set_session_token_ids(model.config, &out);
  out.source = model.source;
  return out;
}

Result<ParityReport> verify_quantized_model(const std::string& model_path, const std::string& golden_dir,
                                            const QuantPolicy& policy, VerifyOptions options, CoverageReport* coverage) {
  HFB_TRY(Golden golden, load_golden(golden_dir));
  HFB_TRY(Golden selected, select_golden_cases(std::move(golden), options.cases));
  options.cases.clear();  // already applied
  if (options.model.empty()) options.model = model_path + " (quantized in memory)";
  HFB_TRY(ModelSession model, open_quantized_model_session(model_path, policy, coverage));
  return verify_against_golden(*model.session, selected, options);
}

}  // namespace hfb
