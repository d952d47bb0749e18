// Tensor metadata, a non-owning view of its bytes, and the model's tensor table.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/byte_source.h"
#include "core/dtype.h"
#include "core/role.h"
#include "core/shape.h"

namespace hfb {

/// One tensor of a checkpoint or bundle: what it is and where its bytes are.
struct TensorInfo {
  std::string name;            ///< as in the checkpoint ("model.layers.3.mlp.up_proj.weight")
  DType dtype;
  Shape shape;
  std::shared_ptr<const ByteSource> source;  ///< file holding the bytes
  uint64_t offset = 0;         ///< absolute byte offset in `source`
  uint64_t num_bytes = 0;

  // Assigned by the model reader (readers/), never by matching names downstream.
  Role role = Role::kNorm;
  Tower tower = Tower::kText;
  int layer = -1;              ///< decoder / conformer / encoder layer, -1 if none
  bool used = true;            ///< false: present in the file but never read by the model
  std::string unused_reason;   ///< why, when !used ("kv-shared layer 3 reads layer 1's K/V")
};

/// A non-owning view of a tensor's bytes.
struct TensorView {
  const TensorInfo* info = nullptr;
  ByteSpan bytes;
};

/// Named tensors in file order, with lookup by name.
class TensorTable {
 public:
  /// Adds a tensor; false if the name exists already.
  bool add(TensorInfo info);
  const TensorInfo* find(const std::string& name) const;
  TensorInfo* find_mutable(const std::string& name);
  const std::vector<TensorInfo>& tensors() const { return tensors_; }
  std::vector<TensorInfo>& tensors_mutable() { return tensors_; }
  size_t size() const { return tensors_.size(); }
  /// The bytes of a tensor (a view into its source).
  Result<TensorView> view(const std::string& name) const;

 private:
  std::vector<TensorInfo> tensors_;
  std::map<std::string, size_t> index_;
};

/// Widen a plain float tensor (F32/F16/BF16) to float32; fails for other dtypes.
Result<std::vector<float>> tensor_to_f32(const TensorInfo& info);

}  // namespace hfb
