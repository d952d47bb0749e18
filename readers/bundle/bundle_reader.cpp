// Bundle::open: manifest parse + validation, files checked against the manifest (sizes, checksums on
// request), zstd files decompressed, tensors exposed as TensorInfo records over ByteSource views.
#include "readers/bundle/bundle_reader.h"

#include <xxhash.h>

#include <cstdio>

#include "formats/bundle_format.h"
#include "readers/bundle/bundle_manifest.h"
#include "readers/bundle/bundle_storage.h"

namespace hfb {

namespace {

std::string hex64(uint64_t v) {
  char buf[19];
  std::snprintf(buf, sizeof buf, "0x%016llx", static_cast<unsigned long long>(v));
  return buf;
}

Status check_xxh3(const ByteSource& source, uint64_t offset, uint64_t length, uint64_t expected,
                  const std::string& what) {
  HFB_TRY(ByteSpan span, source.read(offset, length));
  const uint64_t got = XXH3_64bits(span.data, span.size);
  if (got != expected) {
    return Error(ErrorCode::kCheckFailed, what + ": XXH3 checksum " + hex64(got) + ", manifest says " +
                                              hex64(expected) + " (corrupt file?)")
        .with_path(source.path())
        .with_offset(offset);
  }
  return ok_status();
}

}  // namespace

/// Builds a Bundle step by step (a friend, so Bundle's constructor stays private).
class BundleLoader {
 public:
  BundleLoader(std::string path, const BundleReadOptions& options) : options_(options) {
    bundle_.reset(new Bundle());
    bundle_->path_ = std::move(path);
  }

  Result<std::shared_ptr<const Bundle>> run() {
    HFB_TRY(store_, open_bundle_store(bundle_->path_, &bundle_->is_zip_));
    HFB_TRY(load_manifest());
    for (const bundle::File& f : bundle_->manifest_->files()) HFB_TRY(load_file(f));
    bundle_->files_mapped_ = store_->bytes_copied() == 0;
    for (const bundle::Tensor& t : bundle_->manifest_->tensors()) HFB_TRY(add_tensor(t));
    for (const bundle::Chunk& c : bundle_->manifest_->chunks()) add_chunk(c);
    bundle_->config_ = config_from_proto(bundle_->manifest_->config());
    return std::shared_ptr<const Bundle>(std::move(bundle_));
  }

 private:
  std::string entry_path(const std::string& name) const {
    return bundle_->path_ + (bundle_->is_zip_ ? ":" : "/") + name;
  }

  Status load_manifest() {
    HFB_TRY(auto source, store_->open_entry(kBundleManifestName, options_.limits.max_manifest_bytes));
    HFB_TRY(ByteSpan bytes, source->read(0, source->size()));
    HFB_TRY(bundle_->manifest_, parse_bundle_manifest(bytes, entry_path(kBundleManifestName), options_));
    return ok_status();
  }

  Status load_file(const bundle::File& f) {
    HFB_TRY(auto stored, store_->open_entry(f.name(), options_.limits.max_file_bytes));
    if (stored->size() != f.stored_size()) {
      return Error(ErrorCode::kInvalidFile, "file is " + std::to_string(stored->size()) + " bytes, manifest says " +
                                                std::to_string(f.stored_size()) + " (truncated or modified?)")
          .with_path(entry_path(f.name()));
    }
    if (options_.check == BundleCheck::kChecksums) {
      HFB_TRY(check_xxh3(*stored, 0, stored->size(), f.stored_xxh3(), "file"));
    }
    std::shared_ptr<const ByteSource> raw = stored;
    if (f.compression() == bundle::COMPRESSION_ZSTD) {
      HFB_TRY(raw, decompress_zstd_source(*stored, f.raw_size()));
    }
    bundle_->files_[f.name()] = std::move(raw);
    return ok_status();
  }

  Status add_tensor(const bundle::Tensor& t) {
    BundleTensor bt;
    bt.info.name = t.name();
    bt.info.dtype = *DType::from_name(t.dtype());  // validated
    bt.info.shape = Shape(std::vector<int64_t>(t.shape().begin(), t.shape().end()));
    bt.info.role = *role_from_name(t.role());
    for (Tower tower : {Tower::kText, Tower::kAudio, Tower::kVision}) {
      if (tower_name(tower) == t.tower()) bt.info.tower = tower;
    }
    bt.info.layer = t.layer();
    bt.chunk = t.chunk();
    bt.scheme = t.encoding().scheme();
    bt.group_size = t.encoding().group_size();
    bt.block_size = t.encoding().block_size();
    bt.scale_dtype = t.encoding().scale_dtype();
    bt.per_tensor = t.encoding().per_tensor();
    bt.per_channel_scale = t.encoding().per_channel_scale();
    for (const bundle::Segment& s : t.segments()) {
      std::shared_ptr<const ByteSource> source = bundle_->files_.at(s.file());
      if (options_.check == BundleCheck::kChecksums) {
        Status st = check_xxh3(*source, s.offset(), s.length(), s.xxh3(), "segment '" + s.part() + "'");
        if (!st.ok()) return std::move(st).error().with_tensor(t.name());
      }
      bt.segments.push_back({s.part(), s.file(), source, s.offset(), s.length(), s.xxh3()});
    }
    bt.info.source = bt.segments[0].source;
    bt.info.offset = bt.segments[0].offset;
    bt.info.num_bytes = bt.segments[0].length;
    bundle_->tensor_index_[t.name()] = bundle_->tensors_.size();
    bundle_->tensors_.push_back(std::move(bt));
    return ok_status();
  }

  void add_chunk(const bundle::Chunk& c) {
    BundleChunkInfo info;
    info.name = c.name();
    info.kind = bundle_chunk_kind_name(c.kind());
    info.first_layer = c.first_layer();
    info.end_layer = c.end_layer();
    info.file = c.file();
    info.inputs.assign(c.inputs().begin(), c.inputs().end());
    info.outputs.assign(c.outputs().begin(), c.outputs().end());
    info.state.assign(c.state().begin(), c.state().end());
    bundle_->chunks_.push_back(std::move(info));
  }

  const BundleReadOptions& options_;
  std::unique_ptr<BundleStore> store_;
  std::unique_ptr<Bundle> bundle_;
};

Status Bundle::check_intact() const {
  for (const auto& [name, source] : files_) HFB_TRY(source->check_intact());
  return ok_status();
}

Result<std::shared_ptr<const Bundle>> Bundle::open(const std::string& path, const BundleReadOptions& options) {
  auto result = BundleLoader(path, options).run();
  if (!result.ok()) return std::move(result).error().with_context("while opening bundle " + path);
  return result;
}

Bundle::~Bundle() = default;

uint32_t Bundle::format_major() const { return manifest_->version().major(); }
uint32_t Bundle::format_minor() const { return manifest_->version().minor(); }
const std::string& Bundle::producer() const { return manifest_->producer(); }

const BundleTensor* Bundle::find(const std::string& name) const {
  auto it = tensor_index_.find(name);
  return it == tensor_index_.end() ? nullptr : &tensors_[it->second];
}

TensorTable Bundle::plain_tensor_table() const {
  TensorTable table;
  for (const BundleTensor& t : tensors_) {
    if (t.scheme.empty()) table.add(t.info);
  }
  return table;
}

Result<std::shared_ptr<const ByteSource>> Bundle::file(const std::string& name) const {
  auto it = files_.find(name);
  if (it == files_.end()) return Error(ErrorCode::kNotFound, "bundle has no file '" + name + "'").with_path(path_);
  return it->second;
}

const BundleSegmentView* BundleTensor::segment(const std::string& part) const {
  for (const BundleSegmentView& s : segments) {
    if (s.part == part) return &s;
  }
  return nullptr;
}

}  // namespace hfb
