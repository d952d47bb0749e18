// Writing an export plan: two GgufWriters (model, mmproj), headers first, then every tensor streamed in order;
// both files are published together at the end. Also the general.* provenance keys.
#include <memory>

#include "core/version.h"
#include "pipeline/gguf_export_internal.h"
#include "writers/gguf_writer.h"

namespace hfb::gguf_export_detail {
namespace {

using gguf::Value;

Result<std::unique_ptr<GgufWriter>> open_writer(const std::string& path, const gguf::Metadata& metadata,
                                                const std::vector<PlannedTensor>& tensors) {
  HFB_TRY(std::unique_ptr<GgufWriter> writer, GgufWriter::create(path));
  for (const auto& [key, value] : metadata) HFB_TRY(writer->add_metadata(key, value));
  for (const PlannedTensor& t : tensors) HFB_TRY(writer->add_tensor(t.coverage.gguf_name, t.ne, t.type));
  HFB_TRY(writer->write_header());
  return writer;
}

/// Streams every tensor of one file, filling its coverage entry.
Status write_tensors(GgufWriter* writer, std::vector<PlannedTensor>* tensors, ConvertProgress* progress,
                     const GgufExportOptions& options, uint64_t* bytes) {
  for (PlannedTensor& t : *tensors) {
    uint64_t written = 0;
    const ByteSink sink = [&](const uint8_t* data, uint64_t size) {
      written += size;
      return writer->write_tensor_data(data, size);
    };
    const uint64_t before = progress->bytes_done;
    progress->tensor = t.coverage.source_name.empty() ? t.coverage.gguf_name : t.coverage.source_name;
    progress->file = t.coverage.file;
    progress->scheme = t.coverage.type;
    const BytesDone done = [&](uint64_t n) {
      progress->bytes_done = before + n;
      if (options.progress) options.progress(*progress);
    };
    if (options.progress) options.progress(*progress);
    HFB_TRY(std::optional<QuantMetrics> metrics, t.produce(sink, done));
    t.coverage.bytes_after = written;
    t.coverage.metrics = metrics;
    progress->bytes_done = before + t.coverage.bytes_before;
    ++progress->tensor_index;
    *bytes += written;
  }
  return ok_status();
}

uint64_t source_total(const std::vector<PlannedTensor>& tensors) {
  uint64_t total = 0;
  for (const PlannedTensor& t : tensors) total += t.coverage.bytes_before;
  return total;
}

}  // namespace

Status write_plan(const GgufExportOptions& options, GgufPlan* plan, GgufExportResult* result) {
  HFB_TRY(std::unique_ptr<GgufWriter> model, open_writer(options.out, plan->model_metadata, plan->model));
  std::unique_ptr<GgufWriter> mmproj;
  if (!plan->mmproj.empty()) {
    HFB_TRY(mmproj, open_writer(options.mmproj_out, plan->mmproj_metadata, plan->mmproj));
  }
  ConvertProgress progress;
  progress.tensor_count = plan->model.size() + plan->mmproj.size();
  progress.bytes_total = source_total(plan->model) + source_total(plan->mmproj);
  HFB_TRY(write_tensors(model.get(), &plan->model, &progress, options, &result->model_bytes));
  if (mmproj) HFB_TRY(write_tensors(mmproj.get(), &plan->mmproj, &progress, options, &result->mmproj_bytes));
  HFB_TRY(model->finish());
  if (mmproj) HFB_TRY(mmproj->finish());
  result->out = options.out;
  result->mmproj_out = mmproj ? options.mmproj_out : "";
  result->model_tensors = plan->model.size();
  result->mmproj_tensors = plan->mmproj.size();
  for (auto* list : {&plan->model, &plan->mmproj}) {
    for (PlannedTensor& t : *list) result->coverage.push_back(std::move(t.coverage));
  }
  for (GgufCoverageEntry& e : plan->dropped) result->coverage.push_back(std::move(e));
  result->warnings = plan->warnings;
  result->tokenizer_synthesised = plan->tokenizer_synthesised;
  return ok_status();
}

std::string display_name(std::string path) {
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  const size_t slash = path.rfind('/');
  std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
  for (const std::string ext : {".zip", ".hfb"}) {
    if (name.size() > ext.size() && name.compare(name.size() - ext.size(), ext.size(), ext) == 0) {
      name.resize(name.size() - ext.size());
    }
  }
  if (!name.empty() && name[0] >= 'a' && name[0] <= 'z') name[0] = static_cast<char>(name[0] - 'a' + 'A');
  return name;
}

gguf::Metadata general_metadata(const std::string& type, const std::string& name, uint32_t file_type,
                                const std::string& source_repo, const std::string& source_revision,
                                const std::string& recipe) {
  gguf::Metadata out;
  out.emplace_back("general.type", Value::str(type));
  if (!name.empty()) out.emplace_back("general.name", Value::str(name));
  if (!source_repo.empty()) out.emplace_back("general.source.huggingface.repository", Value::str(source_repo));
  if (!source_revision.empty()) out.emplace_back("general.source.revision", Value::str(source_revision));
  out.emplace_back("general.quantized_by", Value::str(std::string("hfbundle ") + kHfbundleVersion));
  out.emplace_back("general.quantization_recipe", Value::str(recipe));
  out.emplace_back("general.file_type", Value::u32(file_type));
  out.emplace_back("general.quantization_version", Value::u32(2));
  return out;
}

}  // namespace hfb::gguf_export_detail
