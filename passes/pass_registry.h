// The named passes hfbundle knows, the default list, `--pass` / `--no-pass` resolution, and running
// a resolved list over a model.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "passes/pass.h"

namespace hfb {

/// Every implemented pass, in the canonical order they run in (whatever order flags name them).
const std::vector<const Pass*>& registered_passes();

/// nullptr if no implemented pass has this name.
const Pass* find_pass(std::string_view name);

/// Names of the passes run when no flag says otherwise, in run order.
std::vector<std::string> default_pass_names();

/// Defaults, plus every `enable`d pass, minus every `disable`d one, in canonical order.
/// Fails with kInvalidArgument for an unknown name (listing the known ones) or a name both
/// enabled and disabled.
Result<std::vector<const Pass*>> resolve_passes(const std::vector<std::string>& enable,
                                                const std::vector<std::string>& disable);

/// Runs `passes` in order over `context`. Stops at the first failing pass and returns its error
/// (with "while running pass X" context); earlier passes' changes stay applied.
Result<std::vector<PassReport>> run_passes(PassContext& context,
                                           const std::vector<const Pass*>& passes);

}  // namespace hfb
