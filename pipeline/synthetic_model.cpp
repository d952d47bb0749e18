// with_f32_weights: an in-memory model's tensors widened once into an F32WeightStore.
#include "pipeline/synthetic_model.h"

#include <utility>
#include <vector>

namespace hfb {

Result<SyntheticModel> with_f32_weights(Result<Model> model) {
  if (!model.ok()) return std::move(model).error();
  SyntheticModel out;
  out.model = std::move(model).value();
  out.weights = std::make_shared<F32WeightStore>();
  for (const TensorInfo& info : out.model.tensors.tensors()) {
    auto data = tensor_to_f32(info);
    if (!data.ok()) return std::move(data).error().with_tensor(info.name);
    out.weights->put(info.name, info.shape.dims(), std::move(data).value());
  }
  return out;
}

}  // namespace hfb
