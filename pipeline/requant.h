// `hfbundle requant`: re-encodes one chunk of a bundle from its checkpoint with another scheme, rewriting only
// the data files that hold that chunk's tensors and the manifest (recipe and coverage updated), atomically.
#pragma once

#include <string>
#include <vector>

#include "core/error.h"
#include "quant/coverage.h"
#include "quant/scheme.h"
#include "writers/bundle_sink.h"

namespace hfb {

struct RequantOptions {
  std::string bundle;          ///< a directory bundle made by convert (format 1.4: it stores its recipe)
  std::string chunk;           ///< a chunk name as the manifest lists it ("decoder.2", "head", "vision", ...)
  Scheme scheme = Scheme::kInt8;  ///< --quant: added to the recipe as chunk_types[chunk]
  std::string source;          ///< the checkpoint the bundle was made from
  std::string out;             ///< "" : in place; else a new bundle (unchanged files hard-linked or copied)
  bool force = false;          ///< with `out`: replace an existing bundle there
  SinkFactory sink_factory;    ///< empty: POSIX files (tests inject failures here)
};

struct RequantResult {
  std::string out;                          ///< the bundle written (== options.bundle in place)
  bool in_place = false;
  std::vector<std::string> rewritten_files;  ///< data files written again (stored names)
  std::vector<std::string> kept_files;       ///< files taken over unchanged (hard links, or copies)
  CoverageReport coverage;                  ///< every tensor of the chunk (re-encoded, or kept float)
  std::string recipe_json;                  ///< the updated recipe now stored in the manifest
  /// A few lines: chunk, scheme, files rewritten and kept, bytes before and after.
  std::string to_string() const;
};

/// Re-encodes every tensor of chunk `options.chunk` from `options.source` with the bundle's stored recipe plus
/// `chunk_types[chunk] = scheme` (higher-precedence rules of the recipe, tensor regexes and roles, still apply),
/// writes the data files holding them again, takes every other file over unchanged, and publishes the new
/// bundle atomically (temp directory + rename; in place: RENAME_EXCHANGE, so BUNDLE is the old bundle until that
/// instant, also if the process dies). The result equals `convert --recipe <updated recipe>` of the checkpoint
/// except Source (the provenance of the original convert is kept).
/// Fails with kUnsupported for a zip bundle or one without a stored recipe (older than format 1.4), with
/// kInvalidArgument for an unknown chunk (listing the chunks) or a checkpoint that is not the one the bundle was
/// made from (config hash, tensor count, input files, or a tensor's shape / dtype differ: named), with
/// kCheckFailed when the bundle's own checksums fail, and like convert (load, passes, quantize) and BundleWriter
/// (I/O; then BUNDLE / OUT is left as it was and no temp directory remains).
Result<RequantResult> requant_bundle(const RequantOptions& options);

}  // namespace hfb
