// File-system steps of an atomic bundle write: temp directory next to OUT, publish by rename, cleanup.
#pragma once

#include <string>

#include "core/error.h"

namespace hfb {

/// True if something (file, directory, symlink) exists at `path`.
bool path_exists(const std::string& path);

/// Fails with kInvalidArgument if `out` exists and !force ("exists; pass --force to overwrite").
Status check_output_free(const std::string& out, bool force);

/// With --force, whether the existing `out` may be replaced: only an existing bundle of the requested
/// container (a directory holding manifest.pb, or with `zip` a zip holding one), never the source checkpoint
/// `source` nor a directory that contains it. kInvalidArgument saying why otherwise; ok when `out` is absent.
Status check_force_target(const std::string& out, const std::string& source, bool zip);

/// Creates `OUT.tmp-<pid>-XXXXXX` in OUT's directory (the pid tells whose it is). Fails with kIo naming it.
Result<std::string> make_temp_dir(const std::string& out);

/// Removes `path` and everything below it; never fails (best effort, used on error paths).
void remove_tree(const std::string& path);

/// Atomically moves `src` (a file or directory) to `out`. Without `force`, fails with kInvalidArgument if
/// `out` exists (checked atomically with RENAME_NOREPLACE). With `force`, an existing `out` is swapped
/// out (RENAME_EXCHANGE, else moved aside first) and deleted. Fails with kIo naming both paths.
Status publish_path(const std::string& src, const std::string& out, bool force);

}  // namespace hfb
