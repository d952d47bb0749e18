// Recipes: the whole conversion policy (quantization policy + pass options) as one JSON document that
// `convert --recipe` reads, the manifest stores (Manifest.recipe_json) and `requant` updates. Schema:
// docs/recipes.md. Programmatic callers (e.g. an automatic mixed-precision search) build a Recipe, turn
// it into a QuantPolicy with make_recipe_policy and store it with recipe_to_json.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "passes/pass_pipeline.h"
#include "quant/policy.h"

namespace hfb {

/// The recipe format version this build reads and writes ("hfbundle_recipe": 1).
constexpr int kRecipeVersion = 1;

struct Recipe {
  QuantPolicyOptions quant;  ///< global scheme, params, min_elements, tensor/role/chunk overrides
  PassOptions passes;        ///< --pass / --no-pass / --chunks
  /// Free-form JSON object kept verbatim (canonical form), never interpreted: e.g. the measured KL and size
  /// of an automatically chosen recipe. "" when absent.
  std::string notes_json;
};

/// Parses a recipe document. Strict: unknown keys, duplicate keys, wrong types, unknown schemes / roles /
/// passes, invalid regexes, bad --chunks specs and out-of-range numbers fail with kInvalidArgument naming the
/// key ("recipe: role_types.attn_qq: unknown role ..."); malformed JSON with kInvalidFile and the byte offset.
/// `origin` (a path or "manifest") prefixes messages. Chunk names are checked later, against the plan
/// (check_chunk_types), since they depend on the checkpoint and the passes.
Result<Recipe> parse_recipe_json(std::string_view text, const std::string& origin);
/// Reads and parses a recipe file (at most the config_bytes limit, docs/limits.md). Fails like read_small_file, then like parse_recipe_json.
Result<Recipe> read_recipe_file(const std::string& path);

/// The canonical JSON of a recipe: every key written, in the schema's order, overrides in their order
/// (for a role or chunk listed twice only the first, which is the one that applies), 2-space indent,
/// trailing newline. parse_recipe_json(recipe_to_json(r)) == r; the same recipe always gives the same bytes.
std::string recipe_to_json(const Recipe& recipe);

/// The policy of a recipe (QuantPolicy::create of recipe.quant). Fails like QuantPolicy::create.
Result<QuantPolicy> make_recipe_policy(const Recipe& recipe);

/// Sets (or replaces) the chunk_types entry for `chunk`, keeping the other entries' order; a new chunk goes last.
/// Removes the `chunk`:ROLE entries (they would beat it), so every tensor a chunk rule may choose takes `scheme`.
void set_recipe_chunk_type(Recipe* recipe, const std::string& chunk, Scheme scheme);

}  // namespace hfb
