// BundleWriter lifecycle and metadata: temp directory, failure cleanup, manifest fields, finish and publish.
#include "writers/bundle_writer.h"

#include <unistd.h>
#include <xxhash.h>

#include "formats/bundle.pb.h"
#include "formats/bundle_format.h"
#include "writers/bundle_archive.h"
#include "writers/bundle_fs.h"
#include "writers/bundle_manifest.h"
#include "writers/bundle_writer_internal.h"
#include "writers/temp_cleanup.h"

namespace hfb {

uint64_t bundle_xxh3(ByteSpan bytes) { return XXH3_64bits(bytes.data, bytes.size); }

BundleWriter::BundleWriter(std::string out, std::string tmp_dir, BundleWriterOptions options)
    : out_(std::move(out)), tmp_dir_(std::move(tmp_dir)), options_(std::move(options)),
      manifest_(std::make_unique<bundle::Manifest>()) {
  if (!options_.sink_factory) options_.sink_factory = open_file_sink;
}

BundleWriter::~BundleWriter() {
  segment_.reset();
  files_.clear();  // closes file descriptors before the directory goes
  if (!finished_) remove_tree(tmp_dir_);
}

Result<std::unique_ptr<BundleWriter>> BundleWriter::create(const std::string& out, BundleWriterOptions options) {
  if (out.empty() || out.back() == '/') {
    return Error(ErrorCode::kInvalidArgument, "output path must name a file or directory").with_path(out);
  }
  if (options.zstd_level < 0 || options.zstd_level > 22) {
    return Error(ErrorCode::kInvalidArgument,
                 "zstd level " + std::to_string(options.zstd_level) + " outside 0..22 (0: no compression)");
  }
  HFB_TRY(check_output_free(out, options.force));
  std::vector<std::string> stale = remove_stale_temp_dirs(out);  // left by a killed writer (SIGKILL)
  HFB_TRY(std::string tmp, make_temp_dir(out));
  std::unique_ptr<BundleWriter> writer(new BundleWriter(out, std::move(tmp), std::move(options)));
  writer->removed_stale_ = std::move(stale);
  HFB_TRY(write_temp_owner(writer->tmp_dir_));  // on failure the destructor removes the temp directory
  return writer;
}

Error BundleWriter::fail(Error error) {
  if (!failed_) {
    failed_ = true;
    segment_.reset();
    files_.clear();
    remove_tree(tmp_dir_);
  }
  error.context.push_back("while writing bundle " + out_);
  return error;
}

Status BundleWriter::check_usable() const {
  if (failed_) return Error(ErrorCode::kInvalidArgument, "bundle writer already failed").with_path(out_);
  if (finished_) return Error(ErrorCode::kInvalidArgument, "bundle writer already finished").with_path(out_);
  return ok_status();
}

bundle::Manifest& BundleWriter::manifest() { return *manifest_; }

void BundleWriter::set_source(const std::string& checkpoint_name, uint64_t config_xxh3, uint64_t tensor_count) {
  bundle::Source* source = manifest_->mutable_source();
  source->set_checkpoint_name(checkpoint_name);
  source->set_config_xxh3(config_xxh3);
  source->set_tensor_count(tensor_count);
}

void BundleWriter::set_config(const ModelConfig& config) { config_to_proto(config, manifest_->mutable_config()); }

Status BundleWriter::add_chunk(const BundleChunkSpec& spec) {
  HFB_TRY(check_usable());
  int kind = 0;
  if (!bundle_chunk_kind_from_name(spec.kind, &kind)) {
    return fail(Error(ErrorCode::kInvalidArgument, "unknown chunk kind '" + spec.kind + "'"));
  }
  for (const bundle::Chunk& c : manifest_->chunks()) {
    if (c.name() == spec.name) return fail(Error(ErrorCode::kInvalidArgument, "duplicate chunk '" + spec.name + "'"));
  }
  bundle::Chunk* chunk = manifest_->add_chunks();
  chunk->set_name(spec.name);
  chunk->set_kind(static_cast<bundle::ChunkKind>(kind));
  chunk->set_first_layer(spec.first_layer);
  chunk->set_end_layer(spec.end_layer);
  chunk->set_file(spec.file);
  for (const std::string& s : spec.inputs) chunk->add_inputs(s);
  for (const std::string& s : spec.outputs) chunk->add_outputs(s);
  for (const std::string& s : spec.state) chunk->add_state(s);
  return ok_status();
}

void BundleWriter::add_coverage(const BundleCoverageEntry& entry) {
  bundle::CoverageRecord* record = manifest_->add_coverage();
  record->set_tensor(entry.tensor);
  record->set_scheme(entry.scheme);
  record->set_reason(entry.reason);
  record->set_rule(entry.rule);
  record->set_bytes_before(entry.bytes_before);
  record->set_bytes_after(entry.bytes_after);
  for (const auto& [name, value] : entry.metrics) {
    bundle::Metric* metric = record->add_metrics();
    metric->set_name(name);
    metric->set_value(value);
  }
}

void BundleWriter::add_pass_record(const std::string& pass, const std::string& summary) {
  bundle::PassRecord* record = manifest_->add_passes();
  record->set_pass(pass);
  record->set_summary(summary);
}

// Writes files and segment references into the manifest, mapping raw names to stored (.zst) names.
void BundleWriter::fill_manifest_files() {
  std::map<std::string, std::string> stored;
  manifest_->clear_files();
  for (const auto& file : files_) {
    stored[file->name] = file->stored_name;
    stored[file->stored_name] = file->stored_name;  // records of linked files already name the stored file
    bundle::File* f = manifest_->add_files();
    f->set_name(file->stored_name);
    f->set_kind(file->kind);
    f->set_raw_size(file->size);
    f->set_compression(file->zstd_level > 0 ? bundle::COMPRESSION_ZSTD : bundle::COMPRESSION_NONE);
    f->set_stored_size(file->stored_size);
    f->set_zstd_level(file->zstd_level);
    f->set_stored_xxh3(file->stored_xxh3);
  }
  for (bundle::Tensor& tensor : *manifest_->mutable_tensors()) {
    for (bundle::Segment& segment : *tensor.mutable_segments()) segment.set_file(stored[segment.file()]);
  }
  for (bundle::Chunk& chunk : *manifest_->mutable_chunks()) {
    // A chunk whose tensors all live in shared files (the embeddings chunk of a model without per-layer
    // embeddings: only the table, in embedding.bin) has no data file of its own.
    auto it = stored.find(chunk.file());
    chunk.set_file(it != stored.end() ? it->second : "");
  }
}

Status BundleWriter::write_manifest() {
  manifest_->set_magic(kBundleMagic);
  manifest_->mutable_version()->set_major(kBundleFormatMajor);
  manifest_->mutable_version()->set_minor(kBundleFormatMinor);
  manifest_->set_producer(options_.producer);
  manifest_->set_alignment(static_cast<uint32_t>(kBundleAlignment));
  fill_manifest_files();
  HFB_TRY(std::string bytes, serialize_manifest(*manifest_));
  HFB_TRY(auto sink, options_.sink_factory(tmp_dir_ + "/" + kBundleManifestName));
  HFB_TRY(sink->write(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()));
  return sink->close();
}

Status BundleWriter::publish() {
  if (!options_.zip) {
    remove_temp_owner(tmp_dir_);  // the directory becomes the bundle
    return publish_path(tmp_dir_, out_, options_.force);
  }
  std::vector<std::string> entries{kBundleManifestName};
  for (const auto& file : files_) entries.push_back(file->stored_name);
  const std::string zip_path = tmp_dir_ + "/.bundle.zip";  // data file names never start with '.'
  HFB_TRY(write_stored_zip(tmp_dir_, entries, zip_path));
  HFB_TRY(publish_path(zip_path, out_, options_.force));
  remove_tree(tmp_dir_);
  return ok_status();
}

Result<std::string> BundleWriter::finish() {
  HFB_TRY(check_usable());
  if (open_tensor_ >= 0) {
    return fail(Error(ErrorCode::kInvalidArgument,
                      "tensor '" + manifest_->tensors(open_tensor_).name() + "' still open at finish"));
  }
  for (const auto& file : files_) {
    if (!file->closed) {
      Status s = close_file(file->name);
      if (!s.ok()) return std::move(s).error();  // close_file already failed the writer
    }
  }
  Status s = write_manifest();
  if (s.ok()) s = publish();
  if (!s.ok()) return fail(std::move(s).error());
  finished_ = true;
  files_.clear();
  return out_;
}

}  // namespace hfb
