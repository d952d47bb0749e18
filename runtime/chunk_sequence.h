// Running a model as its chunk subgraphs in sequence (what a device runtime does with a chunked bundle):
// one interpreter per chunk, boundary values handed over by name, KV states read from the chunk that
// writes them, every cache committed only when all chunks of a step succeeded. A chunk that reads nothing but
// media inputs (a tower) runs on the steps given media and is not re-run on the decode steps after them.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/graph_split.h"
#include "runtime/graph_interpreter.h"
#include "runtime/session.h"
#include "runtime/weight_store.h"

namespace hfb {

class ChunkSequence {
 public:
  /// One interpreter per non-empty chunk, in order; an imported state is read from the cache of the
  /// earlier chunk that writes it. Fails like Graph::from_data and GraphInterpreter::create (naming the
  /// chunk), or with kInvalidArgument if an imported state has no writer in an earlier chunk.
  static Result<std::unique_ptr<ChunkSequence>> create(std::vector<ChunkGraph> chunks,
                                                       std::shared_ptr<const WeightStore> weights);

  /// Clears every cache; positions restart at 0.
  void reset();
  /// Runs every chunk on `ids` (positions follow the committed ones), handing boundary values over, then
  /// commits every cache. `media` (may be null) goes to every chunk (GraphInterpreter::set_media). A media-only
  /// chunk (its inputs are media inputs or values of other media-only chunks; no ids, positions or token
  /// state) is skipped when `media` is null and it ran since the last reset(): its outputs are still those
  /// of that run. On failure nothing is committed and the error names the chunk.
  Status step(const std::vector<int64_t>& ids, const MediaInputs* media);
  /// A boundary value, graph output or tap of the last step. Fails with kNotFound if no chunk produced it.
  Result<Matrix> value(const std::string& name) const;
  /// Expert-bank weights the chunks read in the last step (GraphInterpreter::experts_weights_read summed).
  int64_t experts_weights_read() const;
  /// Names of the non-empty chunks, in run order.
  const std::vector<std::string>& names() const { return names_; }
  /// Values handed over at the boundaries in the last step, by name.
  const std::map<std::string, Matrix>& values() const { return values_; }
  /// Names of the chunks the last successful step ran (media-only chunks drop out on decode steps).
  const std::vector<std::string>& last_run() const { return last_run_; }
  /// Weight bytes every chunk's interpreter has read so far (GraphInterpreter::weight_bytes_read).
  uint64_t weight_bytes_read() const;
  /// GraphInterpreter::set_logits_last_row on every chunk (later steps: "logits" of the last position only).
  void set_logits_last_row(bool on);
  /// GraphInterpreter::set_check_finite on every chunk.
  void set_check_finite(bool on);
  /// The first non-finite op output of the last step in run order, "in chunk <name>: ..." (GraphInterpreter::
  /// first_nonfinite); "" if none.
  std::string first_nonfinite() const;

 private:
  ChunkSequence() = default;
  Status run_chunk(size_t c, const std::vector<int64_t>& ids, const MediaInputs* media);

  std::vector<ChunkGraph> chunks_;
  std::vector<std::string> names_;
  std::vector<std::unique_ptr<GraphInterpreter>> interpreters_;
  std::map<std::string, Matrix> values_;
  std::vector<bool> media_only_;  ///< per chunk
  std::vector<bool> ran_;         ///< per chunk: ran since the last reset()
  std::vector<std::string> last_run_;
};

/// A greedy-decoding Session over `whole` (a whole-model graph: inputs input_ids/positions and optionally
/// the media inputs, output [L, V] "logits", taps; towers built at any media sizes) run as the chunks of
/// `assignment`, one after another. For each distinct set of prompt media dims the graph is specialized
/// (specialize_for_media, validators/graph_template.h), split by node name (core/graph_split.h) and run as a
/// ChunkSequence; taps are the specialized graph's. The no-media sequence is built at once, so a graph or
/// assignment that cannot run fails here. Fails like specialize_for_media, split_graph and
/// ChunkSequence::create, or with kInvalidArgument if the graph has no [L, V] "logits".
Result<std::unique_ptr<Session>> make_chunked_session(GraphData whole, ChunkAssignment assignment,
                                                      std::shared_ptr<const WeightStore> weights, int num_layers);

}  // namespace hfb
