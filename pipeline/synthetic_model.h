// A model built in memory (a family's synthetic model, e.g. models/gemma4/gemma4_synthetic.h) with its weights
// widened into an F32WeightStore, ready for the runtime (runtime tests, parity tests). No family knowledge here.
#pragma once

#include <memory>

#include "core/error.h"
#include "core/model.h"
#include "runtime/weight_store.h"

namespace hfb {

struct SyntheticModel {
  Model model;                             ///< resolved config + tensor table with roles (and byte sources)
  std::shared_ptr<F32WeightStore> weights; ///< the same weights, ready for the runtime
};

/// Holds every tensor of `model` (F32/F16/BF16 with a byte source) widened to float32 in an F32WeightStore.
/// Fails with `model`'s error, or like tensor_to_f32 (naming the tensor).
Result<SyntheticModel> with_f32_weights(Result<Model> model);

}  // namespace hfb
