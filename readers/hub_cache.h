// Hugging Face hub cache layouts: `models--org--name/{refs,snapshots,blobs}` -> the snapshot directory to read,
// with the repo id and revision it stands for. Format notes: docs/formats/safetensors.md ("Hub cache").
#pragma once

#include <string>

#include "core/error.h"

namespace hfb {

/// Where a checkpoint path really is. For a path outside a hub cache only `dir` is set (the path unchanged).
struct CheckpointLocation {
  std::string dir;            ///< the path to read (a snapshot directory for a hub-cache repo folder)
  std::string repo_id;        ///< "org/name" when the path lies in a hub cache, else ""
  std::string revision;       ///< the snapshot's commit hash, else ""
  std::string revision_from;  ///< how it was chosen: "refs/main", "the only snapshot", "the snapshot folder given"
};

/// "org/name" for a hub-cache repo folder name `models--org--name`; "" for any other name.
std::string hub_repo_id_from_folder(const std::string& folder_name);

/// Resolves `path`: a hub-cache repo folder (`models--org--name` holding `snapshots/`) becomes the snapshot
/// named by `refs/main`, or the only snapshot; a snapshot folder (`models--org--name/snapshots/<rev>`) keeps
/// its path and gains repo id and revision. Any other path is returned unchanged.
/// Fails with kNotFound when the repo folder has no snapshot (or refs/main names a missing one) and with
/// kInvalidArgument when it has several snapshots and no refs/main (naming them: pass one explicitly).
Result<CheckpointLocation> resolve_checkpoint_location(const std::string& path);

}  // namespace hfb
