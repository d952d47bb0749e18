// The reference interpreter: executes any op graph in float32 (weights from a WeightStore, KV caches as
// graph state), one run per prompt chunk or generated token.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/graph.h"
#include "runtime/buffer_plan.h"
#include "runtime/kernels.h"
#include "runtime/kernels_moe.h"
#include "runtime/kv_cache.h"
#include "runtime/session.h"
#include "runtime/weight_store.h"

namespace hfb {

/// Sees the float32 input of every linear whose weight is an initializer, before the product (calibration:
/// pipeline/calibrate.h collects an importance matrix through it). Called on the interpreter's thread.
class LinearInputObserver {
 public:
  virtual ~LinearInputObserver() = default;
  /// `tensor`: the weight's tensor name; x: the input as [rows, cols] row-major (cols = the weight's dim 1).
  virtual void observe_linear_input(const std::string& tensor, const float* x, int64_t rows, int64_t cols) = 0;
};

class GraphInterpreter {
 public:
  /// Prepares `graph` (inputs "input_ids" and "positions", I64 [L]) with weights from `weights`.
  /// Fails with kNotFound / kInvalidArgument if an initializer has no weights or they have other dims,
  /// kUnsupported if the graph has inputs other than those two, the media inputs and float boundary
  /// inputs of a chunk subgraph (set_input).
  static Result<std::unique_ptr<GraphInterpreter>> create(Graph graph, std::shared_ptr<const WeightStore> weights);

  /// Clears every KV cache; positions restart at 0.
  void reset();
  /// Sets the multimodal graph inputs ("input_features" [T, n_mels], "input_features_mask" [T] as 0/1,
  /// "pixel_values" [P, 3*patch^2], "image_position_ids" [P, 2] I64) used by every later run. Fails with
  /// kInvalidArgument if the graph has such an input and `media` does not match its dims.
  Status set_media(const MediaInputs& media);
  /// Positions consumed so far.
  int64_t position() const { return position_; }

  // Chunk subgraphs (passes/chunk_partition.h) run one after another (graph_interpreter_chunks.cpp).
  // A float graph input other than the media inputs is a boundary input an earlier chunk produced.

  /// Sets boundary input `name` ([rows, ...] as graph dims, the symbolic dim = rows) for the next
  /// run_uncommitted/run, whose length must equal value.rows. Fails with kNotFound if the graph has no
  /// such float input, kInvalidArgument if the trailing dims disagree.
  Status set_input(const std::string& name, const Matrix& value);
  /// Reads the imported state `state` (StateInfo::imported) from `writer`'s cache, including what
  /// `writer` appended in an uncommitted run. `writer` must outlive this interpreter's runs.
  /// Fails with kNotFound if either graph lacks the state, kInvalidArgument if it is not imported here.
  Status share_state(const std::string& state, const GraphInterpreter* writer);
  /// Like run(), but leaves this run's keys/values pending (readable by interpreters sharing the
  /// states) until commit(). Fails like run(), or with kInvalidArgument if a boundary input is unset
  /// or has another length.
  Status run_uncommitted(const std::vector<int64_t>& ids);
  /// Stores the pending keys/values of the last run_uncommitted and advances position().
  void commit();
  /// Runs `ids` at positions position() .. position()+size-1 and appends them to the caches. On failure
  /// (kInvalidArgument: a token id outside a table) the caches and position are unchanged.
  Status run(const std::vector<int64_t>& ids);
  /// A value of the last run as [first dim, rest]. Fails with kNotFound if unknown or not live at the end
  /// of the run (only outputs and taps are guaranteed).
  Result<Matrix> read(const std::string& name) const;
  /// Every tap of the graph after a run into `taps` (replacing entries of the same name). Fails like read.
  Status read_taps(Taps* taps) const;
  const Graph& graph() const { return graph_; }
  /// Expert-bank weights (elements) the last run read: every distinct routed expert's gate, up and down rows
  /// once per moe_experts node; the banks' other experts are never touched (their stored bytes are also
  /// counted in weight_bytes_read).
  int64_t experts_weights_read() const { return experts_weights_read_; }
  /// The cache behind a state (for tests and diagnostics); null if unknown.
  const KvCache* cache(const std::string& state) const;
  /// Calls `observer` (not owned; null: none, the default) with every linear's input from the next run on.
  void set_linear_observer(LinearInputObserver* observer) { linear_observer_ = observer; }
  /// Weight bytes linear and gather ops have read so far (whole matrices; one stored row per gathered id).
  uint64_t weight_bytes_read() const { return weight_bytes_read_; }
  /// With `on`, later runs compute the graph output "logits" for the last position only: the chain of row-wise
  /// ops (linear, rms_norm, softcap and other unary element-wise ops) that ends in "logits" and whose values
  /// nothing else reads (no tap, no other output) runs on the last row of its input, and read("logits") gives
  /// [1, V]. Everything else (taps, caches, boundary outputs) is unchanged. Off (the default): every position.
  void set_logits_last_row(bool on) { logits_last_row_ = on; }
  /// With `on`, later runs scan every float op output for NaN/Inf (a diagnostic rerun after non-finite logits;
  /// off, runs pay nothing). Never fails a run: first_nonfinite() reports what it found.
  void set_check_finite(bool on) { check_finite_ = on; }
  /// The first op output of the last checked run that held a NaN or Inf, described with its op, the element
  /// and the weight tensors the op read (graph_interpreter_check.cpp); "" if none or not checked.
  const std::string& first_nonfinite() const { return first_nonfinite_; }

 private:
  struct CompiledNode {
    const Node* node = nullptr;
    std::vector<int> inputs;  ///< value indices, -1 = absent
    int output = -1;
    std::vector<float> inverse_frequencies;  ///< rope
    AttentionParams attention;               ///< attention
    int cache = -1;                          ///< attention: index into caches_
    bool writes_state = false;
    bool logits_tail = false;   ///< a row-wise op feeding only "logits" (set_logits_last_row)
    bool tail_entry = false;    ///< logits_tail, and inputs[0] is computed for every position
  };

  GraphInterpreter() = default;
  Status compile();
  void prepare(int64_t length);
  float* buffer(int value);
  /// inputs[0] of `c`: its last row when `c` is the first op of the logits tail in a last-row run.
  const float* row_input(const CompiledNode& c);
  void find_logits_tail();
  const int64_t* int_buffer(int value) const;
  Status execute(const CompiledNode& node);
  Status execute_gather(const CompiledNode& node);
  void execute_linear(const CompiledNode& node);
  void execute_attention(const CompiledNode& node);
  void execute_elementwise(const CompiledNode& node);
  void execute_slice_concat(const CompiledNode& node);
  Status execute_moe(const CompiledNode& node);
  Result<MatrixView> expert_bank(int value, int64_t experts, int64_t rows, int64_t cols);
  void count_expert_reads(const float* routing, const MoeExpertsParams& p, const MatrixView& gate_up,
                          const MatrixView& down);
  Status execute_media(const CompiledNode& node);
  Status check_boundary_inputs(int64_t length) const;
  void check_finite_output(const CompiledNode& node);
  // Weights in their stored format (graph_interpreter_quant.cpp): an initializer with a matrix view (encoded,
  // mapped bf16/f16/f32, or float32 read by a linear). Linear (weight), gather (table) and moe_experts (banks)
  // compute on it; any other consumer gets it decoded to float32 once.
  void bind_matrix(int value, const MatrixView& matrix);
  const MatrixView* matrix_weight(int value) const {
    return value >= 0 && value < static_cast<int>(weight_matrix_.size()) && weight_matrix_[value]
               ? &*weight_matrix_[value]
               : nullptr;
  }

  Graph graph_;
  std::shared_ptr<const WeightStore> weights_;
  std::vector<CompiledNode> nodes_;
  std::vector<int> node_outputs_;
  ValueLifetimes lifetimes_;
  std::vector<const float*> weight_data_;  ///< per value: initializer data
  std::vector<KvCache> caches_;
  BufferPlan plan_;
  std::vector<float> arena_;
  std::vector<int64_t> ids_;
  std::vector<int64_t> positions_;
  int ids_value_ = -1;
  int positions_value_ = -1;
  std::map<int, std::vector<float>> media_floats_;  ///< float multimodal inputs by value index
  std::vector<int64_t> image_positions_;
  int image_positions_value_ = -1;
  int64_t position_ = 0;
  int64_t experts_weights_read_ = 0;
  int64_t pending_length_ = 0;                         ///< length of an uncommitted run
  std::map<int, Matrix> boundary_floats_;              ///< chunk boundary inputs by value index
  std::vector<const KvCache*> shared_caches_;          ///< per state: another interpreter's cache, or null
  std::vector<float> scratch_;
  std::vector<std::optional<MatrixView>> weight_matrix_;  ///< per value: initializer in its stored format
  std::map<int, std::vector<float>> decoded_weights_;     ///< such initializers other ops read as float
  uint64_t weight_bytes_read_ = 0;
  bool check_finite_ = false;
  bool logits_last_row_ = false;
  bool plan_last_row_ = false;                            ///< the plan's logits tail values have one row
  std::vector<char> tail_values_;                         ///< per value: output of a logits-tail op
  std::string first_nonfinite_;
  LinearInputObserver* linear_observer_ = nullptr;
};

}  // namespace hfb
