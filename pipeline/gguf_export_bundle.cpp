// export_bundle_to_gguf: a bundle's tensors -> GGUF, q4_0/q8_0 blocks copied byte for byte, float tensors
// converted, schemes without a ggml type refused by name.
#include <algorithm>

#include "formats/bundle.pb.h"
#include "models/model_family.h"
#include "pipeline/gguf_export.h"
#include "pipeline/gguf_export_internal.h"
#include "readers/bundle/bundle_reader.h"

namespace hfb {
namespace {

using namespace gguf_export_detail;

/// The bytes of an encoded tensor that ggml reads as they are: the q4_0/q8_0 "codes" segment.
Producer copy_blocks(const BundleTensor* t) {
  return [t](const ByteSink& sink, const BytesDone& done) -> Result<std::optional<QuantMetrics>> {
    const BundleSegmentView* codes = t->segment("codes");
    HFB_TRY(stream_bytes(*codes->source, codes->offset, codes->length, sink, done));
    return std::optional<QuantMetrics>();
  };
}

/// Plans one bundle tensor; `refused` collects tensors in schemes without a ggml type.
Status plan_bundle_tensor(const Bundle& bundle, const BundleTensor& t, const GgufPolicy& policy,
                          const GgufExportOptions& options, GgufPlan* plan, std::vector<std::string>* refused) {
  const TensorInfo& info = t.info;
  if (!info.used) {
    plan->dropped.push_back(dropped(info, "unused (" + info.unused_reason + "): not claimed by llama.cpp's loader"));
    return ok_status();
  }
  HFB_TRY(const GgufExportTables* tables, gguf_export_tables_for(bundle.config()));
  const auto name = tables->gguf_name_for(bundle.config(), info.name);
  if (!name) {
    return Error(ErrorCode::kUnsupported, "no GGUF name for this tensor (made by a bundle pass? convert the "
                                          "checkpoint with --format gguf instead)")
        .with_path(bundle.path())
        .with_tensor(info.name);
  }
  if (name->file == GgufFileKind::kMmproj && options.mmproj_out.empty()) {
    plan->dropped.push_back(dropped(info, "tower tensor: no --mmproj-out given"));
    return ok_status();
  }
  const auto ne = gguf_ne_for(name->transform, info.shape);
  if (!ne) return Error(ErrorCode::kInternal, "shape " + info.shape.to_string() + " has no GGUF layout").with_tensor(info.name);
  PlannedTensor p;
  p.coverage.source_name = info.name;
  p.coverage.gguf_name = name->name;
  p.coverage.file = name->file == GgufFileKind::kText ? "model" : "mmproj";
  p.coverage.role = info.role;
  p.ne = *ne;
  if (!t.scheme.empty() && t.scheme != "none") {
    auto scheme = parse_scheme(t.scheme);
    const bool ggml = scheme.ok() && (*scheme == Scheme::kQ4_0 || *scheme == Scheme::kQ8_0);
    if (!ggml) {
      refused->push_back(info.name + " (bundle scheme " + t.scheme + ", nearest ggml type " +
                         (scheme.ok() ? nearest_ggml_type(*scheme) : "?") + ")");
      return ok_status();
    }
    const BundleSegmentView* codes = t.segment("codes");
    if (!codes) return Error(ErrorCode::kInvalidFile, "no codes segment").with_path(bundle.path()).with_tensor(info.name);
    p.type = *scheme == Scheme::kQ4_0 ? gguf::GgmlType::kQ4_0 : gguf::GgmlType::kQ8_0;
    p.coverage.type = gguf::ggml_type_traits(static_cast<int32_t>(p.type))->name;
    p.coverage.reason = "bundle " + t.scheme + " blocks copied as they are";
    p.coverage.bytes_before = codes->length;
    p.produce = copy_blocks(&t);
  } else {
    HFB_TRY(GgufDecision d, policy.decide(info, *name, *ne));
    HFB_TRY(p, plan_from_float(info, *name, *ne, d, options));
  }
  (name->file == GgufFileKind::kText ? plan->model : plan->mmproj).push_back(std::move(p));
  return ok_status();
}

}  // namespace

Result<GgufExportResult> export_bundle_to_gguf(const GgufExportOptions& options) {
  HFB_TRY(GgufPolicy policy, GgufPolicy::create(options.policy));
  HFB_TRY(check_outputs(options));
  HFB_TRY(std::shared_ptr<const Bundle> bundle, Bundle::open(options.source));
  GgufPlan plan;
  std::vector<std::string> refused;
  for (const BundleTensor& t : bundle->tensors()) {
    HFB_TRY(plan_bundle_tensor(*bundle, t, policy, options, &plan, &refused));
  }
  if (!refused.empty()) return refusal(refused);
  HFB_TRY(plan_rope_freqs(bundle->config(), &plan));
  // The tokenizer is read from the bundle (a zip's stored entries too); preprocessor_config.json only from a
  // directory bundle (a zip gives the converter's defaults for image_mean / image_std).
  MetadataSource source{bundle->config(), display_name(bundle->path()), bundle->is_zip() ? "" : bundle->path(),
                        bundle->path(), "", "", std::nullopt, std::nullopt};
  HFB_TRY(plan_metadata(source, policy, options, &plan));
  if (bundle->manifest().config().text().max_position_embeddings() <= 0) {
    plan.warnings.push_back("the bundle does not record max_position_embeddings (written before bundle format 1.5): "
                            "context_length " + std::to_string(bundle->config().text.max_position_embeddings) +
                            " (Hugging Face's default) written; convert the checkpoint again to carry its own");
  }
  GgufExportResult result;
  HFB_TRY(write_plan(options, &plan, &result));
  HFB_TRY(bundle->check_intact());
  return result;
}

}  // namespace hfb
