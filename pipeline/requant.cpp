// requant_bundle: the stored recipe plus one chunk override, the chunk's tensors re-encoded from the checkpoint
// into fresh copies of their data files, every other file hard-linked, one atomic publish.
#include "pipeline/requant.h"

#include <map>
#include <set>

#include "core/version.h"
#include "formats/bundle.pb.h"
#include "formats/bundle_format.h"
#include "models/load_checkpoint.h"
#include "models/model_family.h"
#include "pipeline/convert_parts.h"
#include "pipeline/convert_stream.h"
#include "pipeline/recipe.h"
#include "readers/bundle/bundle_reader.h"
#include "writers/bundle_fs.h"
#include "writers/bundle_writer.h"
#include "writers/convert_provenance.h"

namespace hfb {
namespace {

Error mismatch(const std::string& source, const std::string& what) {
  return Error(ErrorCode::kInvalidArgument,
               "not the checkpoint the bundle was made from: " + what + " (requant re-encodes from the same checkpoint)")
      .with_path(source);
}

Result<std::shared_ptr<const Bundle>> open_for_requant(const RequantOptions& options) {
  BundleReadOptions read;
  read.check = BundleCheck::kChecksums;  // the kept files are taken over as they are: they must be intact
  HFB_TRY(std::shared_ptr<const Bundle> bundle, Bundle::open(options.bundle, read));
  if (bundle->is_zip()) {
    return Error(ErrorCode::kUnsupported,
                 "requant rewrites files of a directory bundle; a zip bundle is one file (convert again with "
                 "--chunk-type, or requant the directory bundle and zip that)")
        .with_path(options.bundle);
  }
  if (bundle->manifest().recipe_json().empty()) {
    return Error(ErrorCode::kUnsupported, "the bundle stores no recipe (written before format 1.4): convert it again")
        .with_path(options.bundle);
  }
  std::string names;
  for (const BundleChunkInfo& c : bundle->chunks()) {
    if (c.name == options.chunk) return bundle;
    names += (names.empty() ? "" : ", ") + c.name;
  }
  return Error(ErrorCode::kInvalidArgument, "--chunk: no chunk '" + options.chunk + "' (chunks: " + names + ")")
      .with_path(options.bundle);
}

// Config hash, tensor count and input files (names, sizes, hashes) as the manifest's Source recorded them.
Status check_source(const bundle::Source& recorded, const Model& model, const std::string& source) {
  const std::string dir = checkpoint_dir(model.source);
  const uint64_t config = checkpoint_config_hash(dir + "/" + kConfigFileName);
  if (recorded.config_xxh3() != 0 && recorded.config_xxh3() != config) {
    return mismatch(source, "config.json differs (xxh3 recorded in the manifest vs this checkpoint's)");
  }
  if (recorded.tensor_count() != model.tensors.size()) {
    return mismatch(source, std::to_string(model.tensors.size()) + " tensors, the bundle was made from " +
                                std::to_string(recorded.tensor_count()));
  }
  if (recorded.inputs_size() == 0) return ok_status();
  HFB_TRY(std::vector<ProvenanceInput> inputs, provenance_inputs(model, dir));
  std::map<std::string, const ProvenanceInput*> by_name;
  for (const ProvenanceInput& in : inputs) by_name[in.name] = &in;
  for (const bundle::InputFile& want : recorded.inputs()) {
    auto it = by_name.find(want.name());
    if (it == by_name.end()) return mismatch(source, "input file " + want.name() + " is missing");
    const bool same_kind = it->second->hash.substr(0, it->second->hash.find(':')) ==
                           want.hash().substr(0, want.hash().find(':'));
    if (it->second->size != want.size() || (same_kind && it->second->hash != want.hash())) {
      return mismatch(source, "input file " + want.name() + " differs (size or hash)");
    }
  }
  return ok_status();
}

// Every tensor of the chunk exists after the recipe's passes with the shape and source dtype the bundle stored.
Status check_chunk_tensors(const bundle::Manifest& m, const Model& model, const RequantOptions& options) {
  for (const bundle::Tensor& t : m.tensors()) {
    if (t.chunk() != options.chunk) continue;
    const TensorInfo* info = model.tensors.find(t.name());
    if (info == nullptr) return mismatch(options.source, "tensor " + t.name() + " of chunk " + t.chunk() + " is missing");
    const std::vector<int64_t> dims(t.shape().begin(), t.shape().end());
    if (info->shape.dims() != dims || std::string(info->dtype.name()) != t.dtype()) {
      return mismatch(options.source, "tensor " + t.name() + " is " + std::string(info->dtype.name()) + " " +
                                          info->shape.to_string() + ", the bundle stores " + t.dtype() + " " +
                                          Shape(dims).to_string());
    }
  }
  return ok_status();
}

// The recipe's passes plan the chunks the manifest lists (else the passes or the checkpoint differ).
Status check_chunk_plan(const bundle::Manifest& m, const PassPipelineResult& passes, const RequantOptions& options) {
  if (!passes.chunk_plan) return ok_status();  // chunk-plan disabled: one decoder chunk holding everything
  std::vector<std::string> planned, stored;
  for (const Chunk& c : passes.chunk_plan->chunks) planned.push_back(c.name);
  for (const bundle::Chunk& c : m.chunks()) stored.push_back(c.name());
  if (planned != stored) {
    return mismatch(options.source, "the recipe's passes plan " + std::to_string(planned.size()) +
                                        " chunks here, the bundle has " + std::to_string(stored.size()));
  }
  return ok_status();
}

BundleFileKind writer_kind(int kind) {
  switch (kind) {
    case bundle::FILE_EMBEDDING: return BundleFileKind::kEmbedding;
    case bundle::FILE_PLE: return BundleFileKind::kPle;
    case bundle::FILE_HEAD: return BundleFileKind::kHead;
    default: return BundleFileKind::kChunk;
  }
}

std::string raw_name(const bundle::File& f) {
  const std::string zst = kBundleZstdSuffix;
  const bool zstd = f.compression() == bundle::COMPRESSION_ZSTD && f.name().size() > zst.size();
  return zstd ? f.name().substr(0, f.name().size() - zst.size()) : f.name();
}

/// What the rewrite needs: the policy, the post-pass model, and which stored files hold the chunk.
struct RequantPlan {
  const Bundle* bundle = nullptr;
  const RequantOptions* options = nullptr;
  std::optional<QuantPolicy> policy;
  Model model;
  std::set<std::string> rewritten;  ///< stored file names
  std::map<std::string, std::string> raw_of;  ///< stored name -> raw name
};

/// Copies a tensor held by a rewritten file but not re-encoded: same record, same bytes, new offsets.
Status copy_tensor(const BundleTensor& t, const bundle::Tensor& record, const RequantPlan& plan, BundleWriter* w) {
  HFB_TRY(w->begin_tensor_like(record));
  for (const BundleSegmentView& s : t.segments) {
    HFB_TRY(w->begin_segment(s.part, plan.raw_of.at(s.file)));
    HFB_TRY(ByteSpan bytes, s.source->read(s.offset, s.length));
    HFB_TRY(w->append(bytes));
    HFB_TRY(w->end_segment());
  }
  return w->end_tensor();
}

Status write_tensors(const RequantPlan& plan, BundleWriter* w, RequantResult* result,
                     std::map<std::string, CoverageEntry>* encoded) {
  const bundle::Manifest& m = plan.bundle->manifest();
  for (int i = 0; i < m.tensors_size(); ++i) {
    const bundle::Tensor& record = m.tensors(i);
    if (record.chunk() == plan.options->chunk) {
      const TensorInfo& info = *plan.model.tensors.find(record.name());  // check_chunk_tensors: present
      HFB_TRY(TensorDecision decision, plan.policy->decide(info, record.chunk()));
      TensorTarget target{w, plan.raw_of.at(record.segments(0).file()), record.chunk(), nullptr};
      HFB_TRY(StreamedTensor streamed, stream_tensor(info, decision, target));
      result->coverage.add(streamed.coverage);
      (*encoded)[info.name] = std::move(streamed.coverage);
    } else if (plan.rewritten.count(record.segments(0).file()) != 0) {
      HFB_TRY(copy_tensor(*plan.bundle->find(record.name()), record, plan, w));
    } else {
      HFB_TRY(w->add_tensor_record(record));
    }
  }
  return ok_status();
}

Result<std::unique_ptr<BundleWriter>> start_writer(const RequantPlan& plan, const std::string& out, RequantResult* result) {
  const bundle::Manifest& m = plan.bundle->manifest();
  BundleWriterOptions wopts;
  wopts.force = result->in_place || plan.options->force;
  wopts.producer = std::string("hfbundle ") + kHfbundleVersion;
  wopts.sink_factory = plan.options->sink_factory;
  for (const bundle::File& f : m.files()) {
    if (plan.rewritten.count(f.name()) != 0 && f.compression() == bundle::COMPRESSION_ZSTD) wopts.zstd_level = f.zstd_level();
  }
  HFB_TRY(std::unique_ptr<BundleWriter> w, BundleWriter::create(out, wopts));
  w->manifest().CopyFrom(m);
  w->manifest().clear_files();
  w->manifest().clear_tensors();
  w->manifest().clear_coverage();
  for (const bundle::File& f : m.files()) {
    if (plan.rewritten.count(f.name()) != 0) {
      HFB_TRY(w->add_file(raw_name(f), writer_kind(f.kind())));
      result->rewritten_files.push_back(f.name());
    } else {
      HFB_TRY(w->link_file(plan.bundle->path() + "/" + f.name(), f));
      result->kept_files.push_back(f.name());
    }
  }
  return w;
}

Status rewrite_bundle(const RequantPlan& plan, const std::string& recipe_json, RequantResult* result) {
  const std::string out = result->in_place ? plan.options->bundle : plan.options->out;
  HFB_TRY(std::unique_ptr<BundleWriter> w, start_writer(plan, out, result));
  w->manifest().set_recipe_json(recipe_json);
  std::map<std::string, CoverageEntry> encoded;
  HFB_TRY(write_tensors(plan, w.get(), result, &encoded));
  for (const bundle::CoverageRecord& c : plan.bundle->manifest().coverage()) {
    auto it = encoded.find(c.tensor());
    if (it == encoded.end()) {
      *w->manifest().add_coverage() = c;
    } else {
      w->add_coverage(bundle_coverage_entry(it->second));
    }
  }
  HFB_TRY(result->out, w->finish());
  return ok_status();
}

}  // namespace

std::string RequantResult::to_string() const {
  // Only tensors written with a scheme count as re-encoded; the chunk's float tensors (norms, tensors kept
  // float by the policy) are copied from the checkpoint as they are.
  const int64_t encoded = coverage.total.quantized;
  const int64_t kept = static_cast<int64_t>(coverage.entries.size()) - encoded;
  std::string out = "requant: " + std::to_string(encoded) + " tensors re-encoded, " + std::to_string(kept) +
                    " kept float (copied from the checkpoint), " + std::to_string(coverage.total.bytes_after) +
                    " bytes (source " + std::to_string(coverage.total.bytes_before) + ")\n";
  out += coverage_summary(coverage);
  std::string files;
  for (const std::string& f : rewritten_files) files += " " + f;
  out += "files rewritten:" + (files.empty() ? std::string(" none") : files) + "\n";
  out += "files kept unchanged: " + std::to_string(kept_files.size()) + "\n";
  out += std::string(in_place ? "updated in place: " : "written: ") + this->out + "\n";
  return out;
}

Result<RequantResult> requant_bundle(const RequantOptions& options) {
  RequantResult result;
  result.in_place = options.out.empty();
  if (!result.in_place && !options.force && path_exists(options.out)) {
    return Error(ErrorCode::kInvalidArgument, "output exists (use --force to replace it)").with_path(options.out);
  }
  if (!result.in_place && options.force) HFB_TRY(check_force_target(options.out, options.source, false));
  HFB_TRY(std::shared_ptr<const Bundle> bundle, open_for_requant(options));
  const bundle::Manifest& m = bundle->manifest();
  HFB_TRY(Recipe recipe, parse_recipe_json(m.recipe_json(), options.bundle + " (manifest recipe)"));
  set_recipe_chunk_type(&recipe, options.chunk, options.scheme);
  RequantPlan plan;
  plan.bundle = bundle.get();
  plan.options = &options;
  HFB_TRY(plan.policy, make_recipe_policy(recipe));
  HFB_TRY(plan.model, load_checkpoint(options.source));
  HFB_TRY(check_source(m.source(), plan.model, options.source));
  HFB_TRY(Graph graph, build_model_graph(plan.model.config, plan.model.tensors));  // as convert builds it
  HFB_TRY(PassPipelineResult passes, run_pass_pipeline(plan.model, &graph, recipe.passes));
  HFB_TRY(check_chunk_plan(m, passes, options));
  HFB_TRY(check_chunk_tensors(m, plan.model, options));
  for (const bundle::File& f : m.files()) plan.raw_of[f.name()] = raw_name(f);
  for (const bundle::Tensor& t : m.tensors()) {
    if (t.chunk() != options.chunk) continue;
    for (const bundle::Segment& s : t.segments()) plan.rewritten.insert(s.file());
  }
  result.recipe_json = recipe_to_json(recipe);
  HFB_TRY(rewrite_bundle(plan, result.recipe_json, &result));
  return result;
}

}  // namespace hfb
