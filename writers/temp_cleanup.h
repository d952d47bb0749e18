// Temp directories of dead writers: each `OUT.tmp-*` directory records its writer's pid (a file inside, or the pid
// in the name where the name carries one); the next write to OUT removes those whose process is gone. This is the
// cleanup for the one case no handler can catch (SIGKILL, power loss). See docs/convert.md ("Interrupted converts").
#pragma once

#include <string>
#include <vector>

#include "core/error.h"

namespace hfb {

/// The file inside a temp directory that holds the writing process's pid as decimal text.
inline constexpr const char* kTempOwnerFileName = ".hfb-owner-pid";

/// Writes this process's pid into `<tmp_dir>/.hfb-owner-pid`. Fails with kIo naming the file.
Status write_temp_owner(const std::string& tmp_dir);

/// Removes the owner file (before a directory is published as the bundle). Never fails.
void remove_temp_owner(const std::string& tmp_dir);

/// The pid recorded for temp directory `tmp_dir`: its owner file, else digits right after ".tmp-" in its name
/// ending at '-' ("OUT.tmp-1234-Ab12Cd"); 0 when neither says.
long temp_dir_owner(const std::string& tmp_dir);

/// Removes every directory `<basename(out)>.tmp-*` beside `out` whose recorded pid is not a running process
/// (kill(pid, 0) fails with ESRCH). Directories with no recorded pid, or a live one, are left alone. Returns the
/// removed paths (for a message); never fails.
std::vector<std::string> remove_stale_temp_dirs(const std::string& out);

}  // namespace hfb
